import type { Database } from '../../src/db/database.js';
import * as migration from '../../migrations/20261129000900_authorize_sms_purpose.js';
import { OwnDatabase } from '../support/own-database.js';

/** The migration runs down and up on a database of its own, so other tests' tables stay put. */
describe('the authorize SMS purpose migration', () => {
  const own = new OwnDatabase();
  let database: Database;

  beforeAll(async () => {
    database = await own.open();
  });
  afterAll(() => own.close());

  const insertCode = (purpose: string) =>
    database.db('sms_codes').insert({ mobile_index: 'x', purpose, code_hash: 'h', ip: '127.0.0.1', created_at: new Date(), expires_at: new Date() });

  test('when applied, then codes may have the purpose authorize; reverted, they may not and its codes are gone', async () => {
    await insertCode('authorize');
    await migration.down(database.db);
    expect(await database.db('sms_codes').where({ purpose: 'authorize' })).toEqual([]);
    await expect(insertCode('authorize')).rejects.toThrow(/sms_codes_purpose_check/);
    await insertCode('change_mobile');
    await migration.up(database.db);
    await insertCode('authorize');
  });

  test('when another migration has added a purpose of its own, then both purposes stay allowed whichever ran first', async () => {
    const { db } = database;
    await migration.down(db);
    // Another branch's migration, as it might write it.
    await db.raw('alter table sms_codes drop constraint sms_codes_purpose_check');
    await db.raw(`alter table sms_codes add constraint sms_codes_purpose_check check (purpose in ('register', 'reset', 'appeal', 'change_mobile', 'lookup', 'other_flow'))`);
    await migration.up(db);
    await insertCode('other_flow');
    await insertCode('authorize');
    await insertCode('register');
    await migration.down(db);
    await insertCode('other_flow');
    await expect(insertCode('authorize')).rejects.toThrow(/sms_codes_purpose_check/);
    await migration.up(db);
  });
});
