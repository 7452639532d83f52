import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Knex } from 'knex';
import { projectRoot } from '../paths.js';
import type { Db } from './database.js';

const migrationsDir = path.join(projectRoot, 'migrations');

type Migration = { up(db: Knex): Promise<void>; down(db: Knex): Promise<void> };

/**
 * Loads migrations/*.ts by import() rather than knex's own loader, so the same files run under
 * tsx (server, CLI) and under jest's transform (tests).
 */
class TimestampedMigrationSource implements Knex.MigrationSource<string> {
  async getMigrations(): Promise<string[]> {
    return fs
      .readdirSync(migrationsDir)
      .filter((file) => /^\d{14}_[a-z0-9_]+\.ts$/.test(file))
      .sort();
  }

  getMigrationName(file: string): string {
    return file.replace(/\.ts$/, '');
  }

  async getMigration(file: string): Promise<Migration> {
    return (await import(pathToFileURL(path.join(migrationsDir, file)).href)) as Migration;
  }
}

const config = { migrationSource: new TimestampedMigrationSource(), tableName: 'knex_migrations' };

/** An arbitrary fixed key: the PostgreSQL advisory lock held by the one instance that migrates. */
const MIGRATION_LOCK_KEY = 20261128;

/**
 * Applies pending migrations; returns the names applied. Instances starting together on one
 * PostgreSQL would race to create knex's own bookkeeping tables (and then fail on its lock), so
 * they take turns under an advisory lock. The embedded database has one process and one
 * connection: it needs no lock, and a held connection would starve the migration.
 */
export async function migrateLatest(db: Db): Promise<string[]> {
  const run = async () => ((await db.migrate.latest(config)) as [number, string[]])[1];
  if (db.client.config.client !== 'pg') return run();
  return db.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(?)', [MIGRATION_LOCK_KEY]);
    return run();
  });
}

export async function migrateRollback(db: Db): Promise<string[]> {
  const [, reverted] = (await db.migrate.rollback(config)) as [number, string[]];
  return reverted;
}
