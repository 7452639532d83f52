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

/** Applies pending migrations; returns the names applied. */
export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest(config)) as [number, string[]];
  return applied;
}

export async function migrateRollback(db: Db): Promise<string[]> {
  const [, reverted] = (await db.migrate.rollback(config)) as [number, string[]];
  return reverted;
}
