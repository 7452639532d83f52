import { isRealNameSettled, REAL_NAME_SETTLED } from '../accounts/account.types.js';
import crypto from 'node:crypto';
import type { Db } from '../db/database.js';
import { arrayLiteral, type Statement } from '../db/statements.js';

export type AuthorizationOrigin = 'portal' | 'migration';

/** 授权代办 (SPEC §5): a legal account lets a natural account act for it. */
export interface EntityAuthorization {
  id: string;
  legalAccountId: string;
  agentAccountId: string;
  /** Client ids of the business systems, or 'all' (every system, including ones added later). */
  systems: string[] | 'all';
  status: 'active' | 'revoked';
  origin: AuthorizationOrigin;
  grantedAt: Date;
  revokedAt: Date | null;
}

/** An authorization as the entity's list shows it: with the agent's login name, name and status. */
export interface AgentListing extends EntityAuthorization {
  agentLoginName: string;
  agentName: string;
  /** Effective only while the agent is real-name verified (verified or reviewed). */
  effective: boolean;
  /** A disabled agent acts for nobody, verified or not. */
  agentDisabled: boolean;
}

/** An authorization as its agent's page shows it: the unit that granted it. */
export interface EntityListing {
  id: string;
  legalAccountId: string;
  orgName: string;
  systems: string[] | 'all';
  grantedAt: Date;
  /** Whether the agent may act by it now: effectiveFor's rule. */
  effective: boolean;
}

/** An authorization in force, as an agent's sign-in sees it: with the entity it acts for. */
export interface EffectiveAuthorization {
  id: string;
  legalAccountId: string;
  uscc: string | null;
  /** HMT and foreign units: their registration number, in place of a USCC. */
  registrationNumber: string | null;
  orgName: string;
  systems: string[] | 'all';
}


const systemsOf = (value: unknown): string[] | 'all' => (Array.isArray(value) ? (value as string[]) : 'all');

/** Whether the authorization covers this business system. */
export function coversSystem(authorization: Pick<EntityAuthorization, 'systems'>, clientId: string): boolean {
  return authorization.systems === 'all' || authorization.systems.includes(clientId);
}

/** SQL for entity authorizations. The rules (who may grant, SMS confirmation, audit) are the service's. */
export class EntityAuthorizationRepository {
  constructor(private readonly db: Db) {}

  /**
   * Grants, or changes the systems of the pair's active authorization (one per pair: the partial
   * unique index entity_authorizations_one_active), in one statement. Returns the authorization's id.
   */
  async grant(
    input: { legalAccountId: string; agentAccountId: string; systems: string[] | 'all'; origin: AuthorizationOrigin; grantedBy: string },
    trx: Db = this.db,
  ): Promise<string> {
    const [row] = await trx('entity_authorizations')
      .insert({
        id: crypto.randomUUID(),
        legal_account_id: input.legalAccountId,
        agent_account_id: input.agentAccountId,
        systems: input.systems === 'all' ? null : [...new Set(input.systems)].sort(),
        origin: input.origin,
        granted_by: input.grantedBy,
      })
      .onConflict(trx.raw(`(legal_account_id, agent_account_id) where status = 'active'`))
      .merge(['systems'])
      .returning('id');
    return row.id as string;
  }

  /**
   * grant for many pairs as one statement, for the caller to run with its batch (the Torch import's
   * E4 grants): the same rule, one active authorization per pair, an existing one getting the new
   * systems.
   */
  grantManyStatement(
    grants: Array<{ legalAccountId: string; agentAccountId: string }>,
    common: { systems: string[] | 'all'; origin: AuthorizationOrigin; grantedBy: string },
  ): Statement {
    const systems = common.systems === 'all' ? null : arrayLiteral([...new Set(common.systems)].sort());
    return {
      sql: `insert into entity_authorizations (id, legal_account_id, agent_account_id, systems, origin, granted_by)
       select g.id, g.legal, g.agent, ?::text[], ?, ? from unnest(?::uuid[], ?::uuid[], ?::uuid[]) as g(id, legal, agent)
       on conflict (legal_account_id, agent_account_id) where status = 'active' do update set systems = excluded.systems`,
      bindings: [
        systems,
        common.origin,
        common.grantedBy,
        arrayLiteral(grants.map(() => crypto.randomUUID())),
        arrayLiteral(grants.map((g) => g.legalAccountId)),
        arrayLiteral(grants.map((g) => g.agentAccountId)),
      ],
    };
  }

  /** Revokes one of the entity's active authorizations; false when there is none by that id. */
  async revoke(legalAccountId: string, authorizationId: string, revokedBy: string, trx: Db = this.db): Promise<EntityAuthorization | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(authorizationId)) return undefined;
    const rows = await trx('entity_authorizations')
      .where({ id: authorizationId, legal_account_id: legalAccountId, status: 'active' })
      .update({ status: 'revoked', revoked_at: trx.fn.now(), revoked_by: revokedBy })
      .returning('*');
    return rows[0] ? this.toAuthorization(rows[0]) : undefined;
  }

  /** The entity's active authorizations, oldest first, with each agent's name and whether it is effective. */
  async listForEntity(legalAccountId: string): Promise<AgentListing[]> {
    const rows = await this.db('entity_authorizations as z')
      .join('accounts as a', 'a.id', 'z.agent_account_id')
      .join('natural_profiles as n', 'n.account_id', 'a.id')
      .where({ 'z.legal_account_id': legalAccountId, 'z.status': 'active' })
      .orderBy('z.granted_at')
      .select('z.*', 'a.login_name', 'a.real_name_status', 'a.status as account_status', 'n.name');
    return rows.map((row) => ({
      ...this.toAuthorization(row),
      agentLoginName: row.login_name,
      agentName: row.name,
      effective: isRealNameSettled(row.real_name_status) && row.account_status !== 'disabled',
      agentDisabled: row.account_status === 'disabled',
    }));
  }

  /**
   * The active authorizations naming this agent, effective or not (it waits for the agent's own
   * real-name verification), by unit name. Units whose account is disabled are left out: nobody
   * acts for them.
   */
  async listForAgent(agentAccountId: string): Promise<EntityListing[]> {
    if (!/^[0-9a-f-]{36}$/i.test(agentAccountId)) return [];
    const rows = await this.db('entity_authorizations as z')
      .join('accounts as agent', 'agent.id', 'z.agent_account_id')
      .join('accounts as entity', 'entity.id', 'z.legal_account_id')
      .join('legal_profiles as l', 'l.account_id', 'entity.id')
      .where({ 'z.agent_account_id': agentAccountId, 'z.status': 'active' })
      .whereNot('entity.status', 'disabled')
      .orderBy('l.org_name')
      .select('z.id', 'z.legal_account_id', 'z.systems', 'z.granted_at', 'l.org_name', 'agent.real_name_status', 'agent.status as agent_status');
    return rows.map((row) => ({
      id: row.id,
      legalAccountId: row.legal_account_id,
      orgName: row.org_name,
      systems: systemsOf(row.systems),
      grantedAt: new Date(row.granted_at),
      effective: isRealNameSettled(row.real_name_status) && row.agent_status !== 'disabled',
    }));
  }

  /** The pair's active authorization, locked until the transaction ends (a change of systems reads it first). */
  async findActive(legalAccountId: string, agentAccountId: string, trx: Db): Promise<EntityAuthorization | undefined> {
    const row = await trx('entity_authorizations')
      .where({ legal_account_id: legalAccountId, agent_account_id: agentAccountId, status: 'active' })
      .forUpdate()
      .first();
    return row ? this.toAuthorization(row) : undefined;
  }

  /**
   * The authorizations an agent may act by now: active, the agent real-name verified and not
   * disabled, the entity's account not disabled. Filter by system with coversSystem.
   */
  async effectiveFor(agentAccountId: string, trx: Db = this.db): Promise<EffectiveAuthorization[]> {
    if (!/^[0-9a-f-]{36}$/i.test(agentAccountId)) return [];
    const rows = await trx('entity_authorizations as z')
      .join('accounts as agent', 'agent.id', 'z.agent_account_id')
      .join('accounts as entity', 'entity.id', 'z.legal_account_id')
      .join('legal_profiles as l', 'l.account_id', 'entity.id')
      .where({ 'z.agent_account_id': agentAccountId, 'z.status': 'active' })
      .whereIn('agent.real_name_status', REAL_NAME_SETTLED)
      .whereNot('agent.status', 'disabled')
      .whereNot('entity.status', 'disabled')
      .orderBy('l.org_name')
      .select('z.id', 'z.legal_account_id', 'z.systems', 'l.uscc', 'l.registration_number', 'l.org_name');
    return rows.map((row) => ({
      id: row.id,
      legalAccountId: row.legal_account_id,
      uscc: row.uscc ?? null,
      registrationNumber: row.registration_number ?? null,
      orgName: row.org_name,
      systems: systemsOf(row.systems),
    }));
  }

  async findById(id: string, trx: Db = this.db): Promise<EntityAuthorization | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const row = await trx('entity_authorizations').where({ id }).first();
    return row ? this.toAuthorization(row) : undefined;
  }

  private toAuthorization(row: Record<string, unknown>): EntityAuthorization {
    return {
      id: row.id as string,
      legalAccountId: row.legal_account_id as string,
      agentAccountId: row.agent_account_id as string,
      systems: systemsOf(row.systems),
      status: row.status as EntityAuthorization['status'],
      origin: row.origin as AuthorizationOrigin,
      grantedAt: new Date(row.granted_at as string),
      revokedAt: row.revoked_at ? new Date(row.revoked_at as string) : null,
    };
  }
}
