import type { Database } from '../../src/db/database.js';
import * as migration from '../../migrations/20261129001700_lean_write_indexes.js';
import { OwnDatabase } from '../support/own-database.js';

/** The migration runs down and up on a database of its own, so other tests' tables stay put. */
describe('the lean write indexes migration', () => {
  const own = new OwnDatabase();
  let database: Database;

  beforeAll(async () => {
    database = await own.open();
  });
  afterAll(() => own.close());

  const indexes = async () =>
    Object.fromEntries(
      ((await database.db.raw(`select indexname, indexdef from pg_indexes where tablename in ('legal_profiles', 'natural_profiles', 'torch_outcomes')`)).rows as Array<{ indexname: string; indexdef: string }>)
        .map(({ indexname, indexdef }) => [indexname, indexdef.replace(/^.* USING /, '')]),
    );

  /** The plan of a query as PostgreSQL would run it on a table it believes large. */
  async function plan(query: string, bindings: string[]): Promise<string> {
    return database.db.transaction(async (trx) => {
      await trx.raw('set local enable_seqscan = off');
      const { rows } = await trx.raw(`explain ${query}`, bindings);
      return (rows as Array<{ 'QUERY PLAN': string }>).map((row) => row['QUERY PLAN']).join('\n');
    });
  }

  test('when applied, then only rows with a document and a run\'s conflicts are indexed, and the lookups still use them; reverted, the full indexes are back', async () => {
    expect(await indexes()).toMatchObject({
      natural_profiles_document_number_index: 'btree (document_number_index) WHERE (document_number_index IS NOT NULL)',
      torch_outcomes_run_conflicts: `btree (run_id) WHERE ("case" = 'conflict'::text)`,
    });
    expect(await indexes()).not.toHaveProperty('legal_profiles_org_name_index');
    expect(await plan('select * from natural_profiles where document_type = ? and document_number_index = ?', ['resident_id', 'x'])).toContain('natural_profiles_document_number_index');
    expect(await plan(`select * from torch_outcomes where run_id = ? and "case" = 'conflict'`, ['00000000-0000-0000-0000-000000000000'])).toContain('torch_outcomes_run_conflicts');

    await migration.down(database.db);
    expect(await indexes()).toMatchObject({
      legal_profiles_org_name_index: 'btree (org_name)',
      natural_profiles_document_number_index_index: 'btree (document_number_index)',
      torch_outcomes_run_id_index: 'btree (run_id)',
    });
    await migration.up(database.db);
    expect(await indexes()).toHaveProperty('torch_outcomes_run_conflicts');
  });
});
