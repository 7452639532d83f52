import type { Knex } from 'knex';

/**
 * The entity an agent chose to act for (SPEC §5), bound to the OIDC grant of that sign-in: tokens
 * issued from the grant carry act_for while the authorization stays effective. Grants are per
 * client and per OP session, so a choice never reaches another client's tokens.
 *
 * The foreign key on (grant_kind, grant_id) → oidc_models (kind, id) ends a selection with its
 * grant (logout, revocation, a password change, the purge of expired rows) and refuses a selection
 * for a grant that was never saved.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('oidc_entity_selections', (t) => {
    t.text('grant_id').primary();
    t.text('grant_kind').notNullable().defaultTo('Grant');
    t.uuid('agent_account_id').notNullable().references('accounts.id').onDelete('cascade');
    t.uuid('authorization_id').notNullable().references('entity_authorizations.id').onDelete('cascade');
    t.timestamp('chosen_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.foreign(['grant_kind', 'grant_id']).references(['kind', 'id']).inTable('oidc_models').onDelete('cascade');
    t.index(['authorization_id']);
    t.index(['agent_account_id']);
  });
  await db.raw(`alter table oidc_entity_selections add constraint oidc_entity_selections_grant_kind_check check (grant_kind = 'Grant')`);
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('oidc_entity_selections');
}
