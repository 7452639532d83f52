import type { Database } from '../../src/db/database.js';
import { migrateLatest } from '../../src/db/migrate.js';
import * as migration from '../../migrations/20261129000200_identity_verification.js';
import { uniqueName, uniqueResidentId } from '../support/identities.js';
import { OwnDatabase, servicesOver } from '../support/own-database.js';
import { STRONG_PASSWORD, unique, uniqueMobile } from '../support/test-app.js';

/** The migration runs down and up on a database of its own, so other tests' tables stay put. */
describe('the identity-verification migration', () => {
  const own = new OwnDatabase();
  let database: Database;

  beforeAll(async () => {
    database = await own.open();
  });
  afterAll(() => own.close());

  const tables = () =>
    database.db('information_schema.tables').whereIn('table_name', ['identity_claims', 'reference_register_people']).pluck('table_name');

  test('when it is reverted, then its tables are gone; when re-applied over accounts verified before it, then the earliest verified account holds each document', async () => {
    const { db } = database;
    await migration.down(db);
    await db('knex_migrations').where({ name: '20261129000200_identity_verification' }).delete();
    expect(await tables()).toEqual([]);

    const services = servicesOver(db);
    const person = { name: uniqueName(), documentNumber: uniqueResidentId() };
    const create = (realNameVerified: boolean) =>
      services.accountService.create(
        { kind: 'natural', loginName: unique('mig'), password: STRONG_PASSWORD, mobile: uniqueMobile(), ...person, realNameVerified },
        { type: 'cli' },
      );
    const earliest = await create(true);
    await create(true);
    await create(false);

    expect(await migrateLatest(db)).toEqual(['20261129000200_identity_verification']);
    expect((await tables()).sort()).toEqual(['identity_claims', 'reference_register_people']);
    expect(await db('identity_claims').select('account_id', 'method')).toEqual([{ account_id: earliest.id, method: 'existing' }]);
  });
});
