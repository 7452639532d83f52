import type { Knex } from 'knex';

/**
 * The Torch Center (火炬中心) migration (SPEC §8): legacy password hashes of migrated accounts, the
 * runs of the import command, and one recorded outcome per legacy account.
 */
export async function up(db: Knex): Promise<void> {
  // A migrated account's old password hash, as the legacy system stored it: verified at the first
  // sign-in, then replaced by argon2id in accounts.password_hash and this row deleted.
  await db.schema.createTable('legacy_passwords', (t) => {
    t.uuid('account_id').primary().references('accounts.id').onDelete('cascade');
    t.text('scheme').notNullable();
    t.text('hash').notNullable();
    t.text('salt');
    t.integer('iterations');
    t.timestamp('imported_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
  });

  await db.schema.createTable('torch_runs', (t) => {
    t.uuid('id').primary();
    t.text('mode').notNullable();
    t.text('file').notNullable();
    t.text('status').notNullable().defaultTo('running');
    // Outcomes per case, conflicts, malformed records: the report's figures.
    t.jsonb('counts').notNullable().defaultTo('{}');
    t.text('actor').notNullable();
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('finished_at', { useTz: true });
  });
  await db.raw(`alter table torch_runs add constraint torch_runs_mode_check check (mode in ('dry_run', 'apply'))`);
  await db.raw(`alter table torch_runs add constraint torch_runs_status_check check (status in ('running', 'completed', 'failed'))`);

  // One outcome per legacy account, written in the same transaction as what it created: a crash
  // leaves either both or neither, so a second run resumes where the first stopped.
  await db.schema.createTable('torch_outcomes', (t) => {
    t.text('legacy_id').primary();
    t.text('kind').notNullable();
    // Enterprise: the USCC as given (upper case). Personal: the mobile, encrypted.
    t.text('legacy_login_encrypted').notNullable();
    // Enterprise: the normalised USCC; personal: the mobile's blind index. What the lookup page searches.
    t.text('legacy_login_key').notNullable();
    t.text('case').notNullable();
    t.uuid('account_id').references('accounts.id').onDelete('set null');
    t.text('login_name');
    t.text('window');
    t.text('reason');
    t.uuid('run_id').notNullable().references('torch_runs.id');
    t.timestamp('decided_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.index(['kind', 'legacy_login_key']);
    t.index(['run_id']);
  });
  await db.raw(`alter table torch_outcomes add constraint torch_outcomes_kind_check check (kind in ('enterprise', 'personal'))`);
  await db.raw(
    `alter table torch_outcomes add constraint torch_outcomes_case_check
     check ("case" in ('E1', 'E2', 'E3', 'E4', 'P1', 'P2', 'P3', 'P4', 'conflict'))`,
  );
  await db.raw(`alter table torch_outcomes add constraint torch_outcomes_window_check check ("window" in ('natural', 'legal'))`);
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('torch_outcomes');
  await db.schema.dropTableIfExists('torch_runs');
  await db.schema.dropTableIfExists('legacy_passwords');
}
