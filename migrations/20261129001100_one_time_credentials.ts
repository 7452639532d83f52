import type { Knex } from 'knex';

/**
 * One-time credentials (SPEC §7): what an approved appeal texts the user instead of a password.
 * One outstanding per account; only a keyed hash is stored; it expires and works once, and the
 * sign-in it opens must set a new password before it completes.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('one_time_credentials', (t) => {
    t.uuid('account_id').primary().references('accounts.id').onDelete('cascade');
    t.text('credential_hash').notNullable();
    // What issued it (e.g. the appeal's review case), for the audit trail.
    t.text('issued_for').notNullable();
    t.timestamp('issued_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('used_at', { useTz: true });
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('one_time_credentials');
}
