import type { Knex } from 'knex';

/**
 * A registration, once submitted, is a stored flow: the page of its result (step 2 or 3) is only
 * shown to the browser that registered, for a limited time, and carries where to return.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('registration_flows', (t) => {
    t.uuid('id').primary();
    // SHA-256 of the browser's CSRF cookie id: another browser cannot open the result.
    t.text('browser_hash').notNullable();
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('cascade');
    t.text('verification_outcome').notNullable();
    t.text('return_to');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['expires_at']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('registration_flows');
}
