import type { Knex } from 'knex';

/**
 * When a Torch import last wrote a batch: an apply run silent for long was killed (its `finally`
 * never ran), and the reports call it interrupted rather than running forever.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('torch_runs', (t) => {
    t.timestamp('heartbeat_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('torch_runs', (t) => {
    t.dropColumn('heartbeat_at');
  });
}
