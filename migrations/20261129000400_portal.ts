import type { Knex } from 'knex';

/**
 * The portal (the platform's own home page and My Information) is a first-party OIDC client of the
 * OP; its sessions are its own, ended by RP-initiated or back-channel logout.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('portal_sessions', (t) => {
    // SHA-256 of the cookie value: a leaked table does not hand out sessions.
    t.text('id_hash').primary();
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('cascade');
    // The OP session id (ID token `sid`), so a back-channel logout finds the portal sessions it ends.
    t.text('op_sid');
    t.text('id_token_encrypted').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['account_id']);
    t.index(['op_sid']);
    t.index(['expires_at']);
  });
  // Ending every OP session and token of one account (password change, reset) looks rows up by it.
  await db.raw(`create index oidc_models_account_id on oidc_models ((payload->>'accountId'))`);
}

export async function down(db: Knex): Promise<void> {
  await db.raw('drop index if exists oidc_models_account_id');
  await db.schema.dropTableIfExists('portal_sessions');
}
