import type { AccountRepository } from '../../accounts/account.repository.js';
import type { Account } from '../../accounts/account.types.js';
import { normalizeMobile, isValidMainlandMobile } from '../../accounts/identity-documents.js';
import { loginNameKey, validateLoginName } from '../../accounts/login-name.js';
import type { AuditOutcome, AuditService } from '../../audit/audit.service.js';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import { DomainError, ValidationError } from '../../errors.js';
import type { MessageKey } from '../../i18n/index.js';
import type { SmsCodeService } from '../../notify/sms-code.service.js';
import type { SmsNotices } from '../../notify/sms-notices.js';
import { SMS_CAPTCHA_PURPOSE } from '../../notify/sms.routes.js';
import { revokeAccountGrants } from '../../oidc/knex-adapter.js';
import type { PortalSessionRepository } from '../../portal/portal-session.repository.js';
import type { CaptchaService } from '../../security/captcha.service.js';
import type { PasswordHasher } from '../../security/password-hasher.js';
import { maskMobile } from '../../security/pii-crypto.js';
import type { RateLimiter } from '../../security/rate-limiter.js';
import type { LoginThrottleRepository } from '../login/login-throttle.repository.js';
import type { OneTimeCredentialService } from './one-time-credential.service.js';
import { RESET_FLOW_TTL_SECONDS, type PasswordResetFlow, type ResetState } from './password-reset-flow.js';
import type { PasswordResetFlowRepository } from './password-reset-flow.repository.js';
import { checkResetForm, mismatchReason, type ResetForm } from './password-reset.rules.js';

/** The image captcha of step 1 (检索登录名); 获取验证码 uses the SMS captcha like every code request. */
export const RESET_CAPTCHA_PURPOSE = 'recovery';

/** [hits, window seconds]. Per flow, the window is the flow's life. */
type Limit = readonly [number, number];
export const RESET_LIMITS = {
  startPerAddress: [30, 600],
  lookupPerAddress: [20, 600],
  lookupPerFlow: [10, RESET_FLOW_TTL_SECONDS],
  lookupPerLoginName: [10, 3600],
  codePerAddress: [20, 3600],
  codePerFlow: [5, RESET_FLOW_TTL_SECONDS],
  codePerLoginName: [10, 3600],
  resetPerAddress: [30, 3600],
  resetPerFlow: [5, RESET_FLOW_TTL_SECONDS],
  resetPerLoginName: [10, 3600],
} as const satisfies Record<string, Limit>;

export interface ResetActor {
  ip: string;
  requestId?: string;
}

/** The flow is not there for this browser: never made, another browser's, or expired. 404. */
export class ResetFlowGone extends DomainError {
  constructor() {
    super('recovery.error.flow_gone', 404);
  }
}

/** A step posted out of order (the flow is in another state). 409, nothing changed. */
export class ResetStepRefused extends DomainError {
  constructor(readonly flow: PasswordResetFlow) {
    super(flow.state === 'done' ? 'recovery.error.already_done' : 'recovery.error.step_out_of_order', 409);
  }
}

/** `YYYY-MM-DD HH:mm` in Beijing time (UTC+8 all year): the time the SMS notice gives. */
function beijingTime(at: Date): string {
  return new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ');
}

/**
 * 登录名重置密码 (SPEC §7): look the login name up, prove the account with its reserved mobile
 * (and a unit's name and USCC) and an SMS code, set the new password. Nothing tells whether a login
 * name exists beyond the form its kind needs: an unknown name goes on as a natural account, codes
 * go only to the reserved mobile, and any mismatch gets one answer. The flow's states are in
 * password-reset-flow.ts.
 */
export class PasswordResetService {
  constructor(
    private readonly db: Db,
    private readonly flows: PasswordResetFlowRepository,
    private readonly accounts: AccountRepository,
    private readonly throttles: LoginThrottleRepository,
    private readonly portalSessions: PortalSessionRepository,
    private readonly oneTimeCredentials: OneTimeCredentialService,
    private readonly smsCodes: Pick<SmsCodeService, 'requestCode' | 'verifyCode'>,
    private readonly smsNotices: Pick<SmsNotices, 'send'>,
    private readonly captchas: CaptchaService,
    private readonly rateLimiter: RateLimiter,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** A new flow in `lookup` for this browser. */
  async start(browser: string, returnTo: string | null, actor: ResetActor): Promise<string> {
    await this.limit(`recovery-start:${actor.ip}`, RESET_LIMITS.startPerAddress);
    const now = this.clock();
    return this.flows.create({ browser, returnTo, now, expiresAt: this.expiry(now) });
  }

  /** This browser's flow, or ResetFlowGone. */
  async load(id: string, browser: string | undefined): Promise<PasswordResetFlow> {
    const flow = await this.flows.find(id, browser, this.clock());
    if (!flow) throw new ResetFlowGone();
    return flow;
  }

  /** Step 1, 检索登录名: login name + image captcha. The flow moves to `verify` whether or not the name exists. */
  async lookUp(flow: PasswordResetFlow, input: { loginName: string; captchaId: string; captcha: string }, actor: ResetActor): Promise<void> {
    this.expect(flow, 'lookup');
    const fields: Partial<Record<string, MessageKey>> = {};
    const name = validateLoginName(input.loginName);
    if (!name.ok) fields.loginName = `account.error.login_name_${name.reason}`;
    if (!input.captcha.trim()) fields.captcha = 'login.error.captcha_required';
    if (Object.keys(fields).length || !name.ok) throw new ValidationError(fields);
    await this.limit(`recovery-lookup:${actor.ip}`, RESET_LIMITS.lookupPerAddress);
    await this.limit(`recovery-lookup-flow:${flow.id}`, RESET_LIMITS.lookupPerFlow);
    if (!(await this.captchas.verify(input.captchaId, RESET_CAPTCHA_PURPOSE, input.captcha))) {
      throw new ValidationError({ captcha: 'login.error.captcha_wrong' });
    }
    // Counted once the captcha is answered: unsolved requests must not use up someone's name.
    await this.limit(`recovery-lookup-name:${loginNameKey(name.normalized)}`, RESET_LIMITS.lookupPerLoginName);

    const credentials = await this.accounts.findCredentials(name.normalized);
    const now = this.clock();
    // The name as typed, not as stored: its stored spelling would tell that it exists.
    const context = { loginName: name.normalized, accountId: credentials?.id ?? null, kind: credentials?.kind ?? 'natural' };
    const moved = await this.flows.advance(flow.id, { from: 'lookup', to: 'verify', context, now, expiresAt: this.expiry(now) });
    // Another request of this flow looked a name up first.
    if (!moved) throw new ResetStepRefused({ ...flow, state: 'verify' });
    await this.audit.record({
      event: 'password.reset_lookup',
      outcome: 'success',
      actor: { type: 'anonymous' },
      subject: this.subject(credentials?.id, name.normalized),
      ip: actor.ip,
      requestId: actor.requestId,
      details: { flow: flow.id, found: Boolean(credentials) },
    });
  }

  /**
   * Step 2's 获取验证码: image captcha first, then a 'reset' code to the mobile when it is the
   * account's reserved mobile. Any other mobile (or no account) gets the same answer, waits and
   * caps — the code service counts it as sent — but nothing is sent.
   */
  async sendCode(flow: PasswordResetFlow, input: { mobile: string; captchaId: string; captcha: string }, actor: ResetActor): Promise<{ resendAfterSeconds: number }> {
    this.expect(flow, 'verify');
    const fields: Partial<Record<string, MessageKey>> = {};
    if (!isValidMainlandMobile(input.mobile)) fields.mobile = 'account.error.mobile_invalid';
    if (!input.captcha.trim()) fields.captcha = 'login.error.captcha_required';
    if (Object.keys(fields).length) throw new ValidationError(fields);
    await this.limit(`recovery-code:${actor.ip}`, RESET_LIMITS.codePerAddress);
    await this.limit(`recovery-code-flow:${flow.id}`, RESET_LIMITS.codePerFlow);
    if (!(await this.captchas.verify(input.captchaId, SMS_CAPTCHA_PURPOSE, input.captcha))) {
      throw new ValidationError({ captcha: 'login.error.captcha_wrong' });
    }
    await this.limit(`recovery-code-name:${loginNameKey(flow.context.loginName ?? '')}`, RESET_LIMITS.codePerLoginName);
    const mobile = normalizeMobile(input.mobile);
    const account = await this.account(flow);
    const reserved = account !== undefined && account.status !== 'disabled' && account.mobile === mobile;
    return this.smsCodes.requestCode({ mobile, purpose: 'reset', ip: actor.ip, requestId: actor.requestId, withhold: !reserved });
  }

  /**
   * Step 2's 确定: the form proves the account, then in one transaction the password is set, every
   * OP session, grant and refresh token and every portal session ends, a login lock is lifted, an
   * outstanding one-time credential is used up, and the flow is done. The SMS notice follows the commit.
   */
  async reset(flow: PasswordResetFlow, form: ResetForm, actor: ResetActor): Promise<void> {
    this.expect(flow, 'verify');
    const { loginName = '', kind = 'natural' } = flow.context;
    const problems = checkResetForm(form, kind, loginName);
    if (Object.keys(problems).length) throw new ValidationError(problems);
    try {
      await this.limit(`recovery-reset:${actor.ip}`, RESET_LIMITS.resetPerAddress);
      await this.limit(`recovery-reset-flow:${flow.id}`, RESET_LIMITS.resetPerFlow);
      // Each flow took a solved captcha to reach this step, so this budget is not free to spend.
      await this.limit(`recovery-reset-name:${loginNameKey(loginName)}`, RESET_LIMITS.resetPerLoginName);
    } catch (error) {
      await this.recordReset(flow, actor, 'refused', { reason: 'rate_limited' });
      throw error;
    }

    const mismatch = new DomainError(kind === 'legal' ? 'recovery.error.mismatch_legal' : 'recovery.error.mismatch_natural', 400);
    const account = await this.account(flow);
    const reason = mismatchReason(account, form);
    if (reason || !account) {
      await this.recordReset(flow, actor, 'failure', { reason, mobile: maskMobile(normalizeMobile(form.mobile)) });
      throw mismatch;
    }
    try {
      await this.smsCodes.verifyCode({ mobile: account.mobile, purpose: 'reset', code: form.smsCode.trim(), ip: actor.ip, requestId: actor.requestId });
    } catch (error) {
      if (!(error instanceof DomainError) || !error.fields.smsCode) throw error;
      await this.recordReset(flow, actor, 'failure', { reason: 'sms_code', smsError: error.code });
      throw mismatch;
    }

    const passwordHash = await this.hasher.hash(form.password);
    const now = this.clock();
    if (flow.expiresAt.getTime() <= now.getTime()) throw new ResetFlowGone();
    await this.db.transaction(async (trx) => {
      // A second 确定 racing this one (its code already spent) finds the flow done and changes nothing.
      if (!(await this.flows.advance(flow.id, { from: 'verify', to: 'done', context: flow.context, now }, trx))) {
        throw new ResetStepRefused({ ...flow, state: 'done' });
      }
      await this.accounts.updatePasswordHash(account.id, passwordHash, trx);
      await revokeAccountGrants(trx, account.id);
      await this.portalSessions.deleteByOpSession(undefined, account.id, trx);
      await this.throttles.reset(loginNameKey(account.loginName), trx);
      const credentialUsed = await this.oneTimeCredentials.consume(account.id, trx);
      await this.recordReset(flow, actor, 'success', { kind: account.kind, oneTimeCredentialUsed: credentialUsed }, trx);
    });
    await this.smsNotices.send(account.mobile, 'password_reset', { loginName: account.loginName, time: beijingTime(now) });
  }

  private expect(flow: PasswordResetFlow, state: ResetState): void {
    if (flow.state !== state) throw new ResetStepRefused(flow);
  }

  private expiry(now: Date): Date {
    return new Date(now.getTime() + RESET_FLOW_TTL_SECONDS * 1000);
  }

  private async account(flow: PasswordResetFlow): Promise<Account | undefined> {
    return flow.context.accountId ? this.accounts.findById(flow.context.accountId) : undefined;
  }

  private limit(key: string, [hits, windowSeconds]: Limit): Promise<void> {
    return this.rateLimiter.enforce(key, hits, windowSeconds);
  }

  private subject(accountId: string | null | undefined, loginName: string) {
    // Unknown names by their lower-case key, so probing shows up in the log (as for logins).
    return accountId ? { type: 'account', id: accountId } : { type: 'login_name', id: loginNameKey(loginName).slice(0, 64) };
  }

  private recordReset(flow: PasswordResetFlow, actor: ResetActor, outcome: AuditOutcome, details: Record<string, unknown>, trx: Db = this.db) {
    return this.audit.record(
      {
        event: 'password.reset',
        outcome,
        actor: { type: 'anonymous' },
        subject: this.subject(flow.context.accountId, flow.context.loginName ?? ''),
        ip: actor.ip,
        requestId: actor.requestId,
        details: { flow: flow.id, ...details },
      },
      trx,
    );
  }
}
