/**
 * For the migration tests: a migrated PostgreSQL database of a test file's own, so a migration can
 * run down and up while other test files' tables stay put; and the services built over any
 * database without an app around them.
 */
import crypto from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import { createDatabase, type Database } from '../../src/db/database.js';
import { migrateLatest } from '../../src/db/migrate.js';
import { createLogger } from '../../src/logger.js';
import { createServices, type AppContext } from '../../src/services.js';
import { loadSettings } from '../../src/settings.js';
import { TEST_PII_KEY, testDatabaseUrl } from './test-app.js';

export class OwnDatabase {
  private readonly name = `migration_${crypto.randomBytes(4).toString('hex')}`;
  private readonly admin = knexFactory({ client: 'pg', connection: testDatabaseUrl() });
  private database: Database | undefined;

  /** Creates the database and migrates it to the latest migration (call it in beforeAll). */
  async open(): Promise<Database> {
    await this.admin.raw(`create database ${this.name}`);
    const url = new URL(testDatabaseUrl());
    url.pathname = `/${this.name}`;
    this.database = await createDatabase({ kind: 'postgres', url: url.toString() });
    await migrateLatest(this.database.db);
    return this.database;
  }

  /** Closes and drops the database (call it in afterAll). */
  async close(): Promise<void> {
    await this.database?.close();
    await this.admin.raw(`drop database if exists ${this.name}`);
    await this.admin.destroy();
  }
}

/** The services over `db` with test settings (and `env` on top), no clients. */
export function servicesOver(db: Knex, env: Record<string, string> = {}): AppContext {
  return createServices(loadSettings({ NODE_ENV: 'test', PII_KEY: TEST_PII_KEY, ...env }), createLogger('silent'), db, { metadata: [], relyingParties: new Map() });
}
