import type { Knex } from 'knex';

/**
 * 登录名重置密码 as a stored flow (src/flows/recovery/password-reset-flow.ts): one row per attempt,
 * bound to the browser that started it, short-lived, moving through its states in order. The
 * context (the login name typed, the account it names or none) never leaves the server.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('recovery_flows', (t) => {
    t.uuid('id').primary();
    // SHA-256 of the browser's CSRF cookie id: another browser cannot read or advance the flow.
    t.text('browser_hash').notNullable();
    t.text('state').notNullable();
    t.text('return_to');
    t.jsonb('context').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['expires_at']);
  });
  await db.raw(`alter table recovery_flows add constraint recovery_flows_state_check check (state in ('lookup', 'verify', 'done'))`);
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('recovery_flows');
}
