import type { Knex } from 'knex';

/**
 * Manual real-name verification: encrypted identity-document uploads, review cases, and the
 * operators (with their server-side console sessions) who decide them.
 */
export async function up(db: Knex): Promise<void> {
  // Images live here, encrypted, never on a public path: the console is the only way to read them.
  await db.schema.createTable('uploads', (t) => {
    t.uuid('id').primary();
    t.uuid('owner_account_id').notNullable().references('accounts.id').onDelete('cascade');
    t.text('purpose').notNullable();
    t.text('media_type').notNullable();
    t.integer('size_bytes').notNullable();
    // Of the stored (metadata-stripped) image, to spot resubmissions and check integrity.
    t.text('sha256').notNullable();
    t.binary('ciphertext').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.index(['owner_account_id']);
  });
  await db.raw(
    `alter table uploads add constraint uploads_purpose_check
     check (purpose in ('identity_document_front', 'identity_document_back'))`,
  );
  await db.raw(`alter table uploads add constraint uploads_media_type_check check (media_type in ('image/jpeg', 'image/png'))`);

  await db.schema.createTable('operators', (t) => {
    t.uuid('id').primary();
    t.text('username').notNullable();
    t.text('password_hash').notNullable();
    t.text('totp_secret_encrypted').notNullable();
    // The last TOTP time step accepted: a code is good once, even inside its 30-second window.
    t.bigInteger('totp_last_step');
    t.text('role').notNullable();
    t.text('status').notNullable().defaultTo('active');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('last_login_at', { useTz: true });
  });
  await db.raw('create unique index operators_username_key on operators (lower(username))');
  await db.raw(`alter table operators add constraint operators_role_check check (role in ('reviewer', 'admin'))`);
  await db.raw(`alter table operators add constraint operators_status_check check (status in ('active', 'disabled'))`);

  // The cookie holds a random token; only its SHA-256 is stored, so a database read yields no session.
  await db.schema.createTable('operator_sessions', (t) => {
    t.text('id').primary();
    t.uuid('operator_id').notNullable().references('operators.id').onDelete('cascade');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('last_seen_at', { useTz: true }).notNullable();
    t.index(['operator_id']);
    t.index(['expires_at']);
  });

  await db.schema.createTable('review_cases', (t) => {
    t.uuid('id').primary();
    t.text('kind').notNullable();
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('cascade');
    t.text('status').notNullable().defaultTo('pending');
    t.text('reason');
    t.uuid('front_upload_id').notNullable().references('uploads.id');
    t.uuid('back_upload_id').notNullable().references('uploads.id');
    // What the user declared when the case was opened (name, document type, masked number).
    t.jsonb('snapshot').notNullable();
    t.uuid('reviewer_id').references('operators.id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('decided_at', { useTz: true });
    t.index(['status', 'created_at']);
    t.index(['account_id', 'decided_at']);
  });
  await db.raw(`alter table review_cases add constraint review_cases_kind_check check (kind in ('natural_verification'))`);
  await db.raw(
    `alter table review_cases add constraint review_cases_status_check check (status in ('pending', 'approved', 'rejected'))`,
  );
  await db.raw(
    `alter table review_cases add constraint review_cases_decision_check check (
       (status = 'pending' and decided_at is null and reviewer_id is null)
       or (status = 'approved' and decided_at is not null and reviewer_id is not null)
       or (status = 'rejected' and decided_at is not null and reviewer_id is not null and reason is not null))`,
  );
  // One open case per account: a second submission waits for the first decision.
  await db.raw(`create unique index review_cases_one_pending on review_cases (account_id) where status = 'pending'`);
}

export async function down(db: Knex): Promise<void> {
  for (const table of ['review_cases', 'operator_sessions', 'operators', 'uploads']) {
    await db.schema.dropTableIfExists(table);
  }
}
