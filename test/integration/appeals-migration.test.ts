import crypto from 'node:crypto';
import type { Database } from '../../src/db/database.js';
import { migrateLatest } from '../../src/db/migrate.js';
import type { AppContext } from '../../src/services.js';
import * as migration from '../../migrations/20261129001300_appeals.js';
import { appealPerson } from '../support/appeals.js';
import { uniqueName, uniqueResidentId } from '../support/identities.js';
import { OwnDatabase, servicesOver } from '../support/own-database.js';
import { plainImage } from '../support/review.js';
import { outboxCode } from '../support/sms-outbox.js';
import { STRONG_PASSWORD, unique, uniqueMobile } from '../support/test-app.js';

/** The migration runs down and up on a database of its own, so other tests' tables stay put. */
describe('the appeals migration', () => {
  const own = new OwnDatabase();
  let database: Database;
  let services: AppContext;

  beforeAll(async () => {
    database = await own.open();
    services = servicesOver(database.db);
  });
  afterAll(() => own.close());

  /** An appeal filed as the routes file it, its code read from the outbox. */
  async function fileAppeal() {
    const person = appealPerson();
    const ip = '127.0.0.9';
    await services.smsCodes.requestCode({ mobile: person.mobile, purpose: 'appeal', ip });
    const images = { front: await services.uploads.check({ bytes: await plainImage('jpeg') }), back: await services.uploads.check({ bytes: await plainImage('png') }) };
    return services.appeals.submit({ appeal: { kind: 'natural', person }, images, smsCode: await outboxCode({ context: services }, person.mobile), ip });
  }

  test('when it is reverted, then appeals and their images go and verification cases stay; a case needs an account again; re-applied, appeals file again', async () => {
    const { db } = database;
    const person = await services.accountService.create(
      { kind: 'natural', loginName: unique('mig'), password: STRONG_PASSWORD, mobile: uniqueMobile(), name: uniqueName(), documentNumber: uniqueResidentId() },
      { type: 'cli' },
    );
    const store = async (purpose: 'identity_document_front' | 'identity_document_back') =>
      (await services.uploads.store({ ownerAccountId: person.id, purpose, bytes: await plainImage('jpeg') })).id;
    const verification = await services.reviews.openNaturalVerificationCase(
      { accountId: person.id, frontUploadId: await store('identity_document_front'), backUploadId: await store('identity_document_back') },
      { type: 'cli' },
    );
    const appeal = await fileAppeal();
    expect(await db('uploads').whereNull('owner_account_id').count<{ n: string }[]>('id as n')).toEqual([{ n: '2' }]);

    await migration.down(db);
    await db('knex_migrations').where({ name: '20261129001300_appeals' }).delete();
    expect(await db('review_cases').where({ id: appeal.caseId }).first()).toBeUndefined();
    expect(await db('review_cases').where({ id: verification.id }).first('kind')).toEqual({ kind: 'natural_verification' });
    expect(await db('uploads').where({ owner_account_id: person.id })).toHaveLength(2);
    expect(await db.schema.hasTable('appeals')).toBe(false);
    await expect(db.raw(`insert into review_cases (id, kind, account_id, snapshot) values (?, 'natural_verification', null, '{}')`, [crypto.randomUUID()])).rejects.toThrow(/account_id/);
    await expect(db.raw(`insert into review_cases (id, kind, account_id, snapshot) values (?, 'natural_appeal', ?, '{}')`, [crypto.randomUUID(), person.id])).rejects.toThrow(/review_cases_kind_check/);

    expect(await migrateLatest(db)).toEqual(['20261129001300_appeals']);
    await expect(db.raw(`insert into review_cases (id, kind, account_id, snapshot) values (?, 'natural_verification', null, '{}')`, [crypto.randomUUID()])).rejects.toThrow(/review_cases_account_check/);
    const again = await fileAppeal();
    expect(again.caseNumber).toMatch(/^SS\d{14}$/);
  });
});
