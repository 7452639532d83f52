/**
 * Which entity a sign-in acts for (SPEC §5, §9): a natural account signing in to a business system
 * that needs an entity authorization acts for one of the entities whose authorization is effective
 * for that system; the choice is bound to the sign-in's OIDC grant and released as `act_for`.
 *
 *   natural account, entity needed ──none effective──▶ refused
 *        │ one effective (or the one the RP asked for with `entity`) ──▶ chosen
 *        │ several ──▶ choose (the picker) ──picked──▶ chosen
 *   legal account: refused only when the RP asked for another entity (`entity`)
 *   natural account, a system that needs no entity: nothing to choose, whatever the RP asks
 *
 * An authorization stops counting the moment it is revoked or the agent is no longer real-name
 * verified: tokens from a grant bound to it then lose act_for, and its refresh tokens stop working.
 */
import type { AccountKind } from '../accounts/account.types.js';
import type { AuditService } from '../audit/audit.service.js';
import {
  coversSystem,
  type EffectiveAuthorization,
  type EntityAuthorizationRepository,
} from '../authorization/entity-authorization.repository.js';
import type { Clock } from '../clock.js';
import type { ClientRegistry } from '../oidc/clients.js';
import { businessSystems } from '../portal/portal-client.js';
import type { EntitySelectionRepository } from './entity-selection.repository.js';

export type EntityRefusal = 'no_authorization' | 'entity_not_authorized' | 'entity_mismatch';
export type ChoiceMethod = 'only' | 'requested' | 'picked';

export type EntityDecision =
  | { kind: 'not_needed' }
  | { kind: 'refused'; reason: EntityRefusal }
  | { kind: 'chosen'; authorization: EffectiveAuthorization; method: ChoiceMethod }
  | { kind: 'choose'; candidates: EffectiveAuthorization[] };

/** What the decision needs of the signed-in account. */
export interface EntitySubject {
  id: string;
  kind: AccountKind;
  /** Legal accounts: their USCC (null for HMT and foreign units). */
  uscc: string | null;
}

/** The `act_for` claim (SPEC §2, scope org). */
export interface ActForClaim {
  uscc?: string;
  org_name: string;
  /** Client ids; an authorization for every system lists every business system configured now. */
  authorized_systems: string[];
}

/** What a token's grant acts for: nothing, an entity, or an authorization that has ended since. */
export type ActingFor = { state: 'none' } | { state: 'effective'; claim: ActForClaim } | { state: 'ended' };

export interface RequestActor {
  ip?: string;
  requestId?: string;
}

export class EntityChoiceService {
  constructor(
    private readonly clients: ClientRegistry,
    private readonly authorizations: Pick<EntityAuthorizationRepository, 'effectiveFor'>,
    private readonly selections: EntitySelectionRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /**
   * `entity`: the USCC the RP asked for (normalised), if any; `picked`: the authorization chosen on
   * the picker in this authorization request, if any.
   */
  async decide(subject: EntitySubject, clientId: string, request: { entity?: string; picked?: string } = {}): Promise<EntityDecision> {
    const { entity, picked } = request;
    if (subject.kind === 'legal') {
      return entity && subject.uscc !== entity ? { kind: 'refused', reason: 'entity_mismatch' } : { kind: 'not_needed' };
    }
    if (!this.needsEntity(clientId)) return { kind: 'not_needed' };

    const effective = (await this.authorizations.effectiveFor(subject.id)).filter((authorization) => coversSystem(authorization, clientId));
    const candidates = entity ? effective.filter((authorization) => authorization.uscc === entity) : effective;
    if (candidates.length === 0) return { kind: 'refused', reason: entity ? 'entity_not_authorized' : 'no_authorization' };
    const chosen = picked ? candidates.find((authorization) => authorization.id === picked) : undefined;
    if (chosen) return { kind: 'chosen', authorization: chosen, method: 'picked' };
    if (candidates.length === 1) return { kind: 'chosen', authorization: candidates[0]!, method: entity ? 'requested' : 'only' };
    return { kind: 'choose', candidates };
  }

  /**
   * Binds the grant to the chosen authorization. A grant that acted for another entity first has its
   * tokens ended (`endTokens`): an RP session must not change entity on its next refresh.
   */
  async bind(
    input: { grantId: string; agentAccountId: string; clientId: string; authorization: EffectiveAuthorization; method: ChoiceMethod },
    endTokens: (grantId: string) => Promise<void>,
    actor: RequestActor,
  ): Promise<void> {
    const previous = await this.selections.find(input.grantId);
    if (previous && previous.authorizationId !== input.authorization.id) await endTokens(input.grantId);
    await this.selections.save(
      { grantId: input.grantId, agentAccountId: input.agentAccountId, authorizationId: input.authorization.id },
      this.clock(),
    );
    await this.audit.record({
      event: 'access.entity_selected',
      outcome: 'success',
      actor: { type: 'account', id: input.agentAccountId },
      subject: { type: 'account', id: input.authorization.legalAccountId },
      ip: actor.ip,
      requestId: actor.requestId,
      details: {
        clientId: input.clientId,
        authorizationId: input.authorization.id,
        uscc: input.authorization.uscc,
        method: input.method,
        ...(previous && previous.authorizationId !== input.authorization.id ? { replaced: previous.authorizationId } : {}),
      },
    });
  }

  /**
   * What the token's grant acts for now, for the claims of `agentAccountId` at `clientId`. Only a
   * system that needs an entity has selections: the others' token requests skip the query.
   */
  async actingFor(grantId: string, agentAccountId: string, clientId: string): Promise<ActingFor> {
    if (!this.needsEntity(clientId)) return { state: 'none' };
    const selection = await this.selections.find(grantId);
    if (!selection || selection.agentAccountId !== agentAccountId) return { state: 'none' };
    const authorization = (await this.authorizations.effectiveFor(agentAccountId)).find(
      (candidate) => candidate.id === selection.authorizationId && coversSystem(candidate, clientId),
    );
    return authorization ? { state: 'effective', claim: this.actForClaim(authorization) } : { state: 'ended' };
  }

  async recordRefusal(
    input: { accountId: string; clientId: string; reason: EntityRefusal | 'account_kind' | 'real_name' | 'authorization_ended'; details?: Record<string, unknown> },
    actor: RequestActor,
  ): Promise<void> {
    await this.audit.record({
      event: 'access.refused',
      outcome: 'refused',
      actor: { type: 'account', id: input.accountId },
      subject: { type: 'client', id: input.clientId },
      ip: actor.ip,
      requestId: actor.requestId,
      details: { reason: input.reason, ...input.details },
    });
  }

  /** Whether a natural account signing in to this system acts for an entity (its access policy). */
  private needsEntity(clientId: string): boolean {
    return this.clients.relyingParties.get(clientId)?.policy.entityAuthorizationRequired ?? false;
  }

  private actForClaim(authorization: EffectiveAuthorization): ActForClaim {
    const systems = authorization.systems === 'all' ? businessSystems(this.clients).map((rp) => rp.clientId) : authorization.systems;
    return {
      ...(authorization.uscc ? { uscc: authorization.uscc } : {}),
      org_name: authorization.orgName,
      authorized_systems: systems,
    };
  }
}
