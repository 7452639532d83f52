import type { Knex } from 'knex';

/**
 * Legal entities (SPEC §1, §4, §5): the legal representative and main agent of a unit, kept
 * encrypted (they carry document numbers and mobiles); the enterprise reference register; the
 * claims that let one USCC verify only one legal account; and entity authorizations of agents.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('legal_profiles', (t) => {
    // The foundation's clear jsonb blocks were never written; personal data goes encrypted instead.
    t.dropColumn('legal_representative');
    t.dropColumn('main_agent');
    t.text('legal_representative_encrypted');
    t.text('main_agent_encrypted');
    // normalizeOrgName(org_name): "check whether this unit name exists" ignores spacing and width.
    t.text('org_name_key');
    t.index(['org_name_key']);
  });
  await db.raw(`update legal_profiles set org_name_key = lower(regexp_replace(normalize(org_name, NFKC), '\\s', '', 'g'))`);

  // Loaded from ENTERPRISE_REGISTER_FILE at start-up: the local stand-in for the enterprise registry.
  await db.schema.createTable('reference_register_entities', (t) => {
    t.text('uscc').primary();
    t.text('org_name').notNullable();
    t.text('legal_representative_name').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
  });

  // As identity_claims for persons: the primary key admits one legal account per USCC, the unique
  // account_id one USCC per account. A claim exists while its account is verified or reviewed.
  await db.schema.createTable('entity_claims', (t) => {
    t.text('uscc').primary();
    t.uuid('account_id').notNullable().unique().references('accounts.id').onDelete('cascade');
    t.text('method').notNullable();
    t.timestamp('verified_at', { useTz: true }).notNullable();
  });
  await db.raw(`alter table entity_claims add constraint entity_claims_method_check check (method in ('automatic', 'manual', 'existing'))`);
  await db.raw(`
    insert into entity_claims (uscc, account_id, method, verified_at)
    select distinct on (l.uscc) l.uscc, a.id, 'existing', coalesce(a.real_name_verified_at, a.updated_at)
      from legal_profiles l
      join accounts a on a.id = l.account_id
     where a.real_name_status in ('verified', 'reviewed') and l.uscc is not null
     order by l.uscc, a.real_name_verified_at nulls last, a.created_at`);

  // 授权代办: a legal account lets a natural account act for it, in all or some business systems.
  await db.schema.createTable('entity_authorizations', (t) => {
    t.uuid('id').primary();
    t.uuid('legal_account_id').notNullable().references('accounts.id').onDelete('cascade');
    t.uuid('agent_account_id').notNullable().references('accounts.id').onDelete('cascade');
    // null: every business system, including ones configured later; otherwise client ids.
    t.specificType('systems', 'text[]');
    t.text('status').notNullable().defaultTo('active');
    t.text('origin').notNullable();
    t.timestamp('granted_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.text('granted_by');
    t.timestamp('revoked_at', { useTz: true });
    t.text('revoked_by');
    t.index(['agent_account_id', 'status']);
    t.index(['legal_account_id', 'status']);
  });
  await db.raw(`alter table entity_authorizations add constraint entity_authorizations_status_check check (status in ('active', 'revoked'))`);
  await db.raw(`alter table entity_authorizations add constraint entity_authorizations_origin_check check (origin in ('portal', 'migration'))`);
  await db.raw(
    `alter table entity_authorizations add constraint entity_authorizations_revocation_check
     check ((status = 'active') = (revoked_at is null))`,
  );
  // One active authorization per pair: granting again changes the systems of the existing one.
  await db.raw(
    `create unique index entity_authorizations_one_active on entity_authorizations (legal_account_id, agent_account_id) where status = 'active'`,
  );
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('entity_authorizations');
  await db.schema.dropTableIfExists('entity_claims');
  await db.schema.dropTableIfExists('reference_register_entities');
  await db.schema.alterTable('legal_profiles', (t) => {
    t.dropColumn('org_name_key');
    t.dropColumn('main_agent_encrypted');
    t.dropColumn('legal_representative_encrypted');
    t.jsonb('legal_representative');
    t.jsonb('main_agent');
  });
}
