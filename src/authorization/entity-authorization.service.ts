import type { AccountRepository } from '../accounts/account.repository.js';
import { type Account, type ClaimsAccount, isRealNameSettled } from '../accounts/account.types.js';
import { loginNameKey } from '../accounts/login-name.js';
import type { Actor } from '../accounts/account.service.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Db } from '../db/database.js';
import { DomainError, NotFoundError, RateLimitedError, ValidationError } from '../errors.js';
import type { Locale, MessageKey } from '../i18n/index.js';
import type { SmsCodeService } from '../notify/sms-code.service.js';
import type { ClientRegistry } from '../oidc/clients.js';
import { revokeAccountGrants } from '../oidc/knex-adapter.js';
import { businessSystems } from '../portal/portal-client.js';
import { maskMobile } from '../security/pii-crypto.js';
import type { RateLimiter } from '../security/rate-limiter.js';
import type { AgentListing, EntityAuthorization, EntityAuthorizationRepository, EntityListing } from './entity-authorization.repository.js';

/**
 * Finding an agent by login name and name tells whether that person has an account here: limited
 * per legal account and per address, like registration's lookups.
 */
export const AGENT_LOOKUPS_PER_ACCOUNT = 10;
export const AGENT_LOOKUPS_PER_ADDRESS = 20;
export const AGENT_LOOKUP_WINDOW_SECONDS = 10 * 60;


/** What the 添加代办人 form gives. `scope` is 'all' (every business system, later ones too) or 'some'. */
export interface AgentForm {
  loginName: string;
  name: string;
  scope: string;
  systems: string[];
}

export interface BusinessSystem {
  clientId: string;
  name: Record<Locale, string>;
}

type Fields = Partial<Record<string, MessageKey>>;

/** Names compare as people type them: full-width forms, case and runs of spaces do not matter. */
function nameKey(value: string): string {
  return value.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

/** True when `after` leaves out a system `before` covered: the agent then holds less than before. */
function narrows(before: string[] | 'all', after: string[] | 'all'): boolean {
  if (after === 'all') return false;
  if (before === 'all') return true;
  return before.some((system) => !after.includes(system));
}

/**
 * 授权代办 (SPEC §5): a real-name verified legal account authorizes natural accounts to act for
 * it in all or some business systems, confirmed by a code sent to its reserved mobile; it lists and
 * revokes them. An authorization takes effect only while the agent is real-name verified (the
 * repository's effectiveFor, which the sign-in side reads).
 */
export class EntityAuthorizationService {
  constructor(
    private readonly db: Db,
    private readonly authorizations: EntityAuthorizationRepository,
    private readonly accounts: Pick<AccountRepository, 'findCredentials' | 'findClaimsAccount'>,
    private readonly smsCodes: Pick<SmsCodeService, 'requestCode' | 'verifyCode'>,
    private readonly rateLimiter: RateLimiter,
    private readonly audit: AuditService,
    private readonly clients: ClientRegistry,
  ) {}

  /** The systems an agent can be authorized for, in the order of the clients file. */
  businessSystems(): BusinessSystem[] {
    return businessSystems(this.clients).map((rp) => ({ clientId: rp.clientId, name: rp.name }));
  }

  /** Only a real-name verified (or reviewed) unit may authorize: the agent acts in its verified name. */
  canAuthorize(entity: Account): boolean {
    return entity.kind === 'legal' && isRealNameSettled(entity.realNameStatus);
  }

  /**
   * The form's own rules, before anything is looked up or sent: throws a ValidationError naming
   * every bad field. Returns the systems to grant.
   */
  checkForm(entity: Account, form: AgentForm): string[] | 'all' {
    const { fields, systems } = this.formFields(entity, form);
    if (Object.keys(fields).length) throw new ValidationError(fields);
    return systems;
  }

  /** 获取验证码: the form and the agent checked, then a code to the unit's reserved mobile. */
  async sendCode(entity: Account, form: AgentForm, actor: Actor & { ip: string }): Promise<{ mobileMasked: string; resendAfterSeconds: number }> {
    this.checkForm(entity, form);
    await this.findAgent(entity, form, actor.ip);
    const { resendAfterSeconds } = await this.smsCodes.requestCode({ mobile: entity.mobile, purpose: 'authorize', ip: actor.ip, requestId: actor.requestId });
    return { mobileMasked: maskMobile(entity.mobile), resendAfterSeconds };
  }

  /**
   * 确认授权: the form, the agent and the SMS code checked, then the authorization stored (or its
   * systems changed, one authorization per pair) with its audit event.
   */
  async grant(entity: Account, form: AgentForm & { smsCode: string }, actor: Actor & { ip: string }): Promise<{ id: string; agent: ClaimsAccount }> {
    const { fields, systems } = this.formFields(entity, form);
    if (!/^\d{6}$/.test(form.smsCode.trim())) fields.smsCode = 'sms.error.code_format';
    if (Object.keys(fields).length) throw new ValidationError(fields);
    const agent = await this.findAgent(entity, form, actor.ip);
    await this.smsCodes.verifyCode({ mobile: entity.mobile, purpose: 'authorize', code: form.smsCode, ip: actor.ip, requestId: actor.requestId });

    const id = await this.db.transaction(async (trx) => {
      const before = await this.authorizations.findActive(entity.id, agent.id, trx);
      const granted = await this.authorizations.grant({ legalAccountId: entity.id, agentAccountId: agent.id, systems, origin: 'portal', grantedBy: entity.id }, trx);
      // Fewer systems than before is a revocation of the others: see revoke().
      if (before && narrows(before.systems, systems)) await revokeAccountGrants(trx, agent.id);
      await this.audit.record(
        {
          event: 'authorization.granted',
          outcome: 'success',
          actor: { type: 'account', id: entity.id },
          subject: { type: 'account', id: agent.id },
          ip: actor.ip,
          requestId: actor.requestId,
          details: { entity: entity.id, authorization: granted, systems, ...(before ? { previousSystems: before.systems } : {}) },
        },
        trx,
      );
      return granted;
    });
    return { id, agent };
  }

  /**
   * Ends one of the entity's authorizations, and with it everything the agent holds at the OP.
   *
   * Every grant, refresh token, access token and OP session of the agent is revoked, not only the
   * ones acting for this entity: a grant does not record which unit its tokens act for (the unit is
   * chosen at each sign-in), so picking out "the entity's" tokens would be a guess, and a guess that
   * misses one leaves the former agent acting for the unit until that token expires. The cost is
   * that the agent signs in again everywhere, which is acceptable for a rare, deliberate act.
   */
  async revoke(entity: Account, authorizationId: string, actor: Actor & { ip: string }): Promise<EntityAuthorization> {
    if (entity.kind !== 'legal') throw new NotFoundError();
    return this.db.transaction(async (trx) => {
      const revoked = await this.authorizations.revoke(entity.id, authorizationId, entity.id, trx);
      if (!revoked) throw new NotFoundError();
      const ended = await revokeAccountGrants(trx, revoked.agentAccountId);
      await this.audit.record(
        {
          event: 'authorization.revoked',
          outcome: 'success',
          actor: { type: 'account', id: entity.id },
          subject: { type: 'account', id: revoked.agentAccountId },
          ip: actor.ip,
          requestId: actor.requestId,
          details: { entity: entity.id, authorization: revoked.id, systems: revoked.systems, endedOidcModels: ended },
        },
        trx,
      );
      return revoked;
    });
  }

  /** The entity's agents, oldest first. */
  listForEntity(entity: Account): Promise<AgentListing[]> {
    return entity.kind === 'legal' ? this.authorizations.listForEntity(entity.id) : Promise.resolve([]);
  }

  /** One of the entity's active authorizations (the revocation's confirmation page), or 404. */
  async findForEntity(entity: Account, authorizationId: string): Promise<AgentListing> {
    const found = (await this.listForEntity(entity)).find((listing) => listing.id === authorizationId);
    if (!found) throw new NotFoundError();
    return found;
  }

  /** 我代办的单位: the units that authorized this natural account. */
  listForAgent(agent: Account): Promise<EntityListing[]> {
    return agent.kind === 'natural' ? this.authorizations.listForAgent(agent.id) : Promise.resolve([]);
  }

  private requireAuthorizer(entity: Account): void {
    if (entity.kind !== 'legal') throw new DomainError('authorizations.error.legal_only', 403);
    if (!this.canAuthorize(entity)) throw new DomainError('authorizations.error.entity_unverified', 403);
  }

  private formFields(entity: Account, form: AgentForm): { fields: Fields; systems: string[] | 'all' } {
    this.requireAuthorizer(entity);
    const fields: Fields = {};
    const loginName = form.loginName.trim();
    if (!loginName) fields.loginName = 'authorizations.error.login_name_required';
    else if (loginNameKey(loginName) === loginNameKey(entity.loginName)) fields.loginName = 'authorizations.error.self';
    if (!form.name.trim()) fields.name = 'authorizations.error.name_required';
    return { fields, systems: this.checkSystems(form, fields) };
  }

  private checkSystems(form: AgentForm, fields: Fields): string[] | 'all' {
    // Ticked systems without a choice of scope can only mean "these systems".
    const scope = form.scope || (form.systems.length ? 'some' : '');
    if (scope === 'all') return 'all';
    if (scope !== 'some' || form.systems.length === 0) {
      fields.systems = 'authorizations.error.systems_required';
      return [];
    }
    const known = new Set(this.businessSystems().map((system) => system.clientId));
    if (form.systems.some((system) => !known.has(system))) fields.systems = 'authorizations.error.system_unknown';
    return [...new Set(form.systems)];
  }

  /**
   * The natural account with this login name and this name. An unknown login name, a wrong name and
   * a login name of a legal account get one answer, so the form cannot be used to find out who has
   * an account. Only someone who already knows both learns that the account is disabled.
   */
  private async findAgent(entity: Account, form: AgentForm, ip: string): Promise<ClaimsAccount> {
    for (const [key, limit] of [
      [`agent-lookup:account:${entity.id}`, AGENT_LOOKUPS_PER_ACCOUNT],
      [`agent-lookup:ip:${ip}`, AGENT_LOOKUPS_PER_ADDRESS],
    ] as const) {
      const hit = await this.rateLimiter.hit(key, limit, AGENT_LOOKUP_WINDOW_SECONDS);
      if (!hit.allowed) {
        const minutes = Math.ceil(hit.retryAfterSeconds / 60);
        throw new RateLimitedError(hit.retryAfterSeconds, 'authorizations.error.lookups_limited', { agent: 'authorizations.error.lookups_limited' }, { minutes });
      }
    }
    const credentials = await this.accounts.findCredentials(form.loginName.trim());
    const account = credentials?.kind === 'natural' ? await this.accounts.findClaimsAccount(credentials.id) : undefined;
    if (!account?.natural || nameKey(account.natural.name) !== nameKey(form.name)) {
      throw new ValidationError({ agent: 'authorizations.error.agent_not_found' });
    }
    if (account.status === 'disabled') throw new ValidationError({ agent: 'authorizations.error.agent_disabled' });
    return account;
  }
}
