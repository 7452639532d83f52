import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { Settings } from '../settings.js';

export type Db = Knex;

/** The embedded database is one process's: a second opener would corrupt it. */
export class EmbeddedDatabaseBusyError extends Error {
  constructor(readonly dir: string, readonly pid: number) {
    super(
      `The embedded database in ${dir} is in use by process ${pid} (the server?). ` +
        'Stop that process first, or run both against PostgreSQL with DATABASE_URL.',
    );
  }
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function claimEmbeddedDirectory(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true });
  const lockFile = path.join(dir, '..', 'pglite.pid');
  try {
    const holder = Number(fs.readFileSync(lockFile, 'utf8'));
    if (holder && holder !== process.pid && processIsAlive(holder)) throw new EmbeddedDatabaseBusyError(dir, holder);
  } catch (error) {
    if (error instanceof EmbeddedDatabaseBusyError) throw error;
  }
  fs.writeFileSync(lockFile, String(process.pid));
  return () => fs.rmSync(lockFile, { force: true });
}

export interface Database {
  db: Db;
  /** Closes the pool and, for the embedded database, releases the directory. */
  close(): Promise<void>;
}

/**
 * Opens the database the settings name. Async because the embedded database's driver (knex-pglite,
 * which loads PGlite) is imported only here, when it is the one chosen: on PostgreSQL the process
 * never loads PGlite's modules, let alone its WASM (about 5 MB of RSS for the modules alone).
 */
export async function createDatabase(database: Settings['database']): Promise<Database> {
  if (database.kind === 'postgres') {
    const db = knexFactory({ client: 'pg', connection: database.url, pool: { min: 0, max: 10 } });
    return { db, close: () => db.destroy() };
  }
  const { default: ClientPgLite } = await import('knex-pglite');
  const release = claimEmbeddedDirectory(database.dir);
  const db = knexFactory({
    client: ClientPgLite as unknown as typeof Knex.Client,
    dialect: 'postgres',
    connection: { filename: database.dir } as Knex.StaticConnectionConfig,
  });
  return {
    db,
    async close() {
      try {
        await db.destroy();
      } finally {
        release();
      }
    },
  };
}
