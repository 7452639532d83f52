import type { Knex } from 'knex';

/**
 * Torch import outcomes for malformed records (SPEC §8: no record is lost): a record with a legacy
 * id but an unknown kind or no login still gets its conflict outcome, so kind and legacy login may
 * be missing; and the line of the export it came from, for operators to find it.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('torch_outcomes', (t) => {
    t.text('kind').nullable().alter();
    t.text('legacy_login_encrypted').nullable().alter();
    t.text('legacy_login_key').nullable().alter();
    t.integer('line');
  });
}

export async function down(db: Knex): Promise<void> {
  await db('torch_outcomes').whereNull('kind').orWhereNull('legacy_login_key').delete();
  await db.schema.alterTable('torch_outcomes', (t) => {
    t.dropColumn('line');
    t.text('kind').notNullable().alter();
    t.text('legacy_login_encrypted').notNullable().alter();
    t.text('legacy_login_key').notNullable().alter();
  });
}
