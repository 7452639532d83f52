import type { Knex } from 'knex';

/**
 * The foundation: OIDC state, signing keys and app secrets, both kinds of account, login throttling,
 * captchas, rate limits and the append-only audit log.
 */
export async function up(db: Knex): Promise<void> {
  // Everything oidc-provider persists (sessions, grants, codes, tokens, interactions), one row per model.
  await db.schema.createTable('oidc_models', (t) => {
    t.text('kind').notNullable();
    t.text('id').notNullable();
    t.jsonb('payload').notNullable();
    t.text('grant_id');
    t.text('user_code');
    t.text('uid');
    t.timestamp('expires_at', { useTz: true });
    t.timestamp('consumed_at', { useTz: true });
    t.primary(['kind', 'id']);
    t.index(['grant_id']);
    t.index(['kind', 'uid']);
    t.index(['kind', 'user_code']);
    t.index(['expires_at']);
  });

  await db.schema.createTable('signing_keys', (t) => {
    t.text('kid').primary();
    t.text('alg').notNullable();
    t.text('private_jwk_encrypted').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    // Published from creation, signing from here: every instance has it before any token carries it.
    t.timestamp('activates_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    // A retired key no longer signs but stays published so tokens it signed still verify.
    t.timestamp('retired_at', { useTz: true });
  });

  await db.schema.createTable('app_secrets', (t) => {
    t.text('name').primary();
    t.text('value_encrypted').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
  });

  await db.schema.createTable('accounts', (t) => {
    t.uuid('id').primary();
    t.text('kind').notNullable();
    t.text('login_name').notNullable();
    // Lower-cased login name: the unique key across both kinds.
    t.text('login_name_key').notNullable().unique();
    t.text('password_hash');
    t.text('mobile_encrypted').notNullable();
    t.text('mobile_index').notNullable();
    t.timestamp('mobile_verified_at', { useTz: true });
    t.text('email');
    t.timestamp('email_verified_at', { useTz: true });
    t.text('status').notNullable().defaultTo('active');
    t.text('real_name_status').notNullable().defaultTo('unverified');
    t.timestamp('real_name_verified_at', { useTz: true });
    t.timestamp('last_login_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.index(['mobile_index']);
  });
  await db.raw(`alter table accounts add constraint accounts_kind_check check (kind in ('natural', 'legal'))`);
  await db.raw(`alter table accounts add constraint accounts_status_check check (status in ('active', 'locked', 'disabled'))`);
  await db.raw(
    `alter table accounts add constraint accounts_real_name_status_check
     check (real_name_status in ('unverified', 'pending_review', 'rejected', 'verified', 'reviewed'))`,
  );

  await db.schema.createTable('natural_profiles', (t) => {
    t.uuid('account_id').primary().references('accounts.id').onDelete('cascade');
    t.text('name').notNullable();
    t.text('gender');
    t.text('ethnicity');
    t.text('position');
    t.date('birth_date');
    t.text('landline');
    t.text('identity_type');
    t.text('document_type');
    t.text('document_number_encrypted');
    t.text('document_number_index');
    t.date('document_valid_until');
    t.boolean('document_long_term').notNullable().defaultTo(false);
    t.text('address');
    t.index(['document_number_index']);
  });

  await db.schema.createTable('legal_profiles', (t) => {
    t.uuid('account_id').primary().references('accounts.id').onDelete('cascade');
    t.text('org_name').notNullable();
    t.text('registration_region').notNullable();
    t.text('org_type').notNullable();
    t.text('uscc');
    t.text('registration_number');
    t.jsonb('legal_representative');
    t.jsonb('main_agent');
    t.index(['uscc']);
    t.index(['org_name']);
  });
  await db.raw(
    `alter table legal_profiles add constraint legal_profiles_region_check
     check (registration_region in ('domestic', 'hmt', 'foreign'))`,
  );
  await db.raw(
    `alter table legal_profiles add constraint legal_profiles_org_type_check
     check (org_type in ('enterprise', 'social_organization', 'public_institution', 'other'))`,
  );

  // Failures are counted per login name, known or not, so a lock says nothing about existence.
  await db.schema.createTable('login_throttles', (t) => {
    t.text('login_name_key').primary();
    t.integer('failures').notNullable().defaultTo(0);
    t.timestamp('last_failure_at', { useTz: true });
    t.timestamp('locked_until', { useTz: true });
  });

  await db.schema.createTable('rate_limits', (t) => {
    t.text('key').primary();
    t.integer('hits').notNullable();
    t.timestamp('window_ends_at', { useTz: true }).notNullable();
    t.index(['window_ends_at']);
  });

  await db.schema.createTable('captchas', (t) => {
    t.uuid('id').primary();
    t.text('purpose').notNullable();
    t.text('answer_hash').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['expires_at']);
  });

  await db.schema.createTable('audit_events', (t) => {
    t.bigIncrements('id');
    t.timestamp('occurred_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.text('event').notNullable();
    t.text('outcome').notNullable();
    t.text('actor_type').notNullable();
    t.text('actor_id');
    t.text('subject_type');
    t.text('subject_id');
    t.text('ip');
    t.text('request_id');
    t.jsonb('details').notNullable().defaultTo('{}');
    t.index(['occurred_at']);
    t.index(['subject_type', 'subject_id']);
    t.index(['event']);
  });
  // Append-only: rows are never changed, and only removed once past the 180-day retention.
  await db.raw(`
    create function audit_events_append_only() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' and old.occurred_at < now() - interval '180 days' then
        return old;
      end if;
      raise exception 'audit_events is append-only';
    end;
    $$`);
  await db.raw(`
    create trigger audit_events_append_only before update or delete on audit_events
    for each row execute function audit_events_append_only()`);
  await db.raw(`
    create function audit_events_no_truncate() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_events is append-only';
    end;
    $$`);
  await db.raw(`
    create trigger audit_events_no_truncate before truncate on audit_events
    for each statement execute function audit_events_no_truncate()`);
}

export async function down(db: Knex): Promise<void> {
  await db.raw('drop trigger if exists audit_events_no_truncate on audit_events');
  await db.raw('drop function if exists audit_events_no_truncate()');
  await db.raw('drop trigger if exists audit_events_append_only on audit_events');
  await db.raw('drop function if exists audit_events_append_only()');
  for (const table of [
    'audit_events',
    'captchas',
    'rate_limits',
    'login_throttles',
    'legal_profiles',
    'natural_profiles',
    'accounts',
    'app_secrets',
    'signing_keys',
    'oidc_models',
  ]) {
    await db.schema.dropTableIfExists(table);
  }
}
