import type { Knex } from 'knex';

/**
 * Indexes every insert pays for, cut to what queries use (measured on the Torch import, which
 * writes a million outcomes and half a million accounts):
 * - legal_profiles (org_name): no query looks units up by their name as written; org_name_key
 *   serves the name checks.
 * - natural_profiles (document_number_index): looked up only by a given document, so only rows
 *   that have one are indexed; accounts made without a document (migrated ones) add nothing.
 * - torch_outcomes (run_id): read only for a run's conflicts.
 */
export async function up(db: Knex): Promise<void> {
  await db.raw('drop index legal_profiles_org_name_index');
  await db.raw('drop index natural_profiles_document_number_index_index');
  await db.raw('create index natural_profiles_document_number_index on natural_profiles (document_number_index) where document_number_index is not null');
  await db.raw('drop index torch_outcomes_run_id_index');
  await db.raw(`create index torch_outcomes_run_conflicts on torch_outcomes (run_id) where "case" = 'conflict'`);
}

export async function down(db: Knex): Promise<void> {
  await db.raw('drop index torch_outcomes_run_conflicts');
  await db.raw('create index torch_outcomes_run_id_index on torch_outcomes (run_id)');
  await db.raw('drop index natural_profiles_document_number_index');
  await db.raw('create index natural_profiles_document_number_index_index on natural_profiles (document_number_index)');
  await db.raw('create index legal_profiles_org_name_index on legal_profiles (org_name)');
}
