import type { Knex } from 'knex';

/**
 * Real-name verification of natural persons: the reference register (the local stand-in for the
 * identity authority) and the claims that let one document verify only one account (SPEC §1).
 */
export async function up(db: Knex): Promise<void> {
  // Loaded from REFERENCE_REGISTER_FILE at start-up; the clear number is never stored.
  await db.schema.createTable('reference_register_people', (t) => {
    t.text('document_type').notNullable();
    t.text('document_number_index').notNullable();
    t.text('name').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.primary(['document_type', 'document_number_index']);
  });

  // The database, not the service, decides which of two concurrent verifications of one document
  // wins: the primary key admits one account per document, the unique account_id one document per
  // account. A claim exists while its account is verified or reviewed.
  await db.schema.createTable('identity_claims', (t) => {
    t.text('document_type').notNullable();
    t.text('document_number_index').notNullable();
    t.uuid('account_id').notNullable().unique().references('accounts.id').onDelete('cascade');
    t.text('method').notNullable();
    t.timestamp('verified_at', { useTz: true }).notNullable();
    t.primary(['document_type', 'document_number_index']);
  });
  await db.raw(
    `alter table identity_claims add constraint identity_claims_method_check
     check (method in ('automatic', 'manual', 'existing'))`,
  );

  // Accounts verified before claims existed keep their document; where two share one, the
  // earliest verified holds it.
  await db.raw(`
    insert into identity_claims (document_type, document_number_index, account_id, method, verified_at)
    select distinct on (n.document_type, n.document_number_index)
           n.document_type, n.document_number_index, a.id, 'existing', coalesce(a.real_name_verified_at, a.updated_at)
      from natural_profiles n
      join accounts a on a.id = n.account_id
     where a.real_name_status in ('verified', 'reviewed')
       and n.document_type is not null
       and n.document_number_index is not null
     order by n.document_type, n.document_number_index, a.real_name_verified_at nulls last, a.created_at`);
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('identity_claims');
  await db.schema.dropTableIfExists('reference_register_people');
}
