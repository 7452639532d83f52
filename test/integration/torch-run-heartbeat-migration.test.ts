import crypto from 'node:crypto';
import type { Database } from '../../src/db/database.js';
import * as migration from '../../migrations/20261129001800_torch_run_heartbeat.js';
import { OwnDatabase } from '../support/own-database.js';

/** The migration runs down and up on a database of its own, so other tests' tables stay put. */
describe('the torch run heartbeat migration', () => {
  const own = new OwnDatabase();
  let database: Database;

  beforeAll(async () => {
    database = await own.open();
  });
  afterAll(() => own.close());

  test('when reverted, then runs keep everything but their heartbeat; re-applied, a run that was running counts as alive from then', async () => {
    const { db } = database;
    await migration.down(db);
    const id = crypto.randomUUID();
    await db('torch_runs').insert({ id, mode: 'apply', file: '/srv/torch/export.jsonl', actor: 'cli' });
    expect(Object.keys(await db('torch_runs').where({ id }).first())).not.toContain('heartbeat_at');
    await migration.up(db);
    const run = await db('torch_runs').where({ id }).first();
    expect(run).toMatchObject({ status: 'running', mode: 'apply' });
    expect(run.heartbeat_at).toBeInstanceOf(Date);
  });
});
