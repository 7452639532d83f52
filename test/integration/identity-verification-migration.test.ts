import crypto from 'node:crypto';
import knexFactory from 'knex';
import { createDatabase, type Database } from '../../src/db/database.js';
import { migrateLatest } from '../../src/db/migrate.js';
import { createLogger } from '../../src/logger.js';
import { createServices } from '../../src/services.js';
import { loadSettings } from '../../src/settings.js';
import * as migration from '../../migrations/20261129000200_identity_verification.js';
import { uniqueName, uniqueResidentId } from '../support/identities.js';
import { STRONG_PASSWORD, TEST_PII_KEY, testDatabaseUrl, unique, uniqueMobile } from '../support/test-app.js';

/** The migration runs down and up on a database of its own, so other tests' tables stay put. */
describe('the identity-verification migration', () => {
  const name = `migration_${crypto.randomBytes(4).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: testDatabaseUrl() });
  let database: Database;

  beforeAll(async () => {
    await admin.raw(`create database ${name}`);
    const url = new URL(testDatabaseUrl());
    url.pathname = `/${name}`;
    database = await createDatabase({ kind: 'postgres', url: url.toString() });
    await migrateLatest(database.db);
  });
  afterAll(async () => {
    await database?.close();
    await admin.raw(`drop database if exists ${name}`);
    await admin.destroy();
  });

  const tables = () =>
    database.db('information_schema.tables').whereIn('table_name', ['identity_claims', 'reference_register_people']).pluck('table_name');

  test('when it is reverted, then its tables are gone; when re-applied over accounts verified before it, then the earliest verified account holds each document', async () => {
    const { db } = database;
    await migration.down(db);
    await db('knex_migrations').where({ name: '20261129000200_identity_verification' }).delete();
    expect(await tables()).toEqual([]);

    const settings = loadSettings({ NODE_ENV: 'test', PII_KEY: TEST_PII_KEY });
    const services = createServices(settings, createLogger('silent'), db, { metadata: [], relyingParties: new Map() });
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
