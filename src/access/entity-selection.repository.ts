import type { Db } from '../db/database.js';

/** The entity an agent acts for in one sign-in: an authorization, bound to that sign-in's OIDC grant. */
export interface EntitySelection {
  grantId: string;
  agentAccountId: string;
  authorizationId: string;
  chosenAt: Date;
}

/** SQL for oidc_entity_selections. The rules (which authorization may be chosen) are EntityChoiceService's. */
export class EntitySelectionRepository {
  constructor(private readonly db: Db) {}

  /**
   * The selection of a token's grant, read as one named statement: it runs on every token request
   * of a natural account (findAccount).
   */
  async find(grantId: string): Promise<EntitySelection | undefined> {
    const { rows } = (await this.db
      .raw('select grant_id, agent_account_id, authorization_id, chosen_at from oidc_entity_selections where grant_id = ?', [grantId])
      .options({ name: 'oidc_entity_selections_find' })) as { rows: Record<string, unknown>[] };
    const row = rows[0];
    return row
      ? {
          grantId: row.grant_id as string,
          agentAccountId: row.agent_account_id as string,
          authorizationId: row.authorization_id as string,
          chosenAt: new Date(row.chosen_at as string),
        }
      : undefined;
  }

  /** Binds the grant to the authorization, replacing an earlier choice. */
  async save(selection: Omit<EntitySelection, 'chosenAt'>, chosenAt: Date): Promise<void> {
    await this.db('oidc_entity_selections')
      .insert({
        grant_id: selection.grantId,
        agent_account_id: selection.agentAccountId,
        authorization_id: selection.authorizationId,
        chosen_at: chosenAt,
      })
      .onConflict('grant_id')
      .merge(['agent_account_id', 'authorization_id', 'chosen_at']);
  }
}
