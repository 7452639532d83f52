import type { AccountRepository } from '../../accounts/account.repository.js';
import type { AccountKind } from '../../accounts/account.types.js';
import { loginNameKey } from '../../accounts/login-name.js';
import type { AuditService } from '../../audit/audit.service.js';
import { DomainError, ValidationError } from '../../errors.js';
import type { MessageKey } from '../../i18n/index.js';
import type { CaptchaService } from '../../security/captcha.service.js';
import type { PasswordHasher } from '../../security/password-hasher.js';
import type { RateLimiter } from '../../security/rate-limiter.js';
import type { Settings } from '../../settings.js';
import type { LegacyLoginService } from '../../migration/torch/legacy-login.service.js';
import type { OneTimeCredentialService } from '../recovery/one-time-credential.service.js';
import type { LoginThrottleRepository } from './login-throttle.repository.js';

export const LOGIN_CAPTCHA_PURPOSE = 'login';

export interface LoginAttempt {
  window: AccountKind;
  loginName: string;
  password: string;
  captchaId?: string;
  captchaAnswer?: string;
  ip: string;
  requestId?: string;
}

/** How the user proved who they are: their password, or the one-time credential an approved appeal texted. */
export type LoginMethod = 'password' | 'one_time_credential';

export interface LoginSuccess {
  accountId: string;
  method: LoginMethod;
}

/** Looked up in place of an unknown account, so an unknown name costs the same query as a known one. */
const NO_ACCOUNT = '00000000-0000-0000-0000-000000000000';

/** A refused login. `captchaRequired` tells the page to show a captcha on the next attempt. */
export class LoginRefused extends DomainError {
  constructor(
    code: MessageKey,
    status: number,
    readonly captchaRequired: boolean,
    fields: Partial<Record<string, MessageKey>> = {},
    params: Record<string, string | number> = {},
  ) {
    super(code, status, fields, params);
  }
}

const minutesUntil = (date: Date) => Math.max(1, Math.ceil((date.getTime() - Date.now()) / 60000));

/**
 * Password login with the protections of SPEC §6: captcha after N failures per login name, a lock
 * after M, a failure limit per address. Unknown names and wrong passwords take the same path,
 * the same time and the same answer.
 *
 * The password field also takes the account's one-time credential (SPEC §7), under the same
 * protections: a wrong or expired one is a wrong password. The credential is not used up here but
 * when the new password is set (the change_password prompt), so closing that page loses nothing.
 *
 * A migrated Torch Center account (SPEC §8) has no argon2 hash yet but a legacy one: its old
 * password is checked against that, under the same protections, and its first success upgrades it.
 */
export class LoginService {
  constructor(
    private readonly accounts: AccountRepository,
    private readonly throttles: LoginThrottleRepository,
    private readonly captchas: CaptchaService,
    private readonly rateLimiter: RateLimiter,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditService,
    private readonly protection: Settings['loginProtection'],
    private readonly oneTimeCredentials: Pick<OneTimeCredentialService, 'matches'>,
    private readonly legacyLogins: Pick<LegacyLoginService, 'find' | 'verify' | 'upgrade'>,
  ) {}

  /** Whether the page should show a captcha for this login name before the next attempt. */
  async captchaRequiredFor(loginName: string): Promise<boolean> {
    if (!loginName) return false;
    const state = await this.throttles.state(loginNameKey(loginName));
    return state.failures >= this.protection.captchaAfter;
  }

  /** Returns the account and how it signed in, or throws LoginRefused. */
  async authenticate(attempt: LoginAttempt): Promise<LoginSuccess> {
    const loginName = attempt.loginName.trim();
    const missing: Partial<Record<string, MessageKey>> = {};
    if (!loginName) missing.loginName = 'login.error.login_name_required';
    if (!attempt.password) missing.password = 'login.error.password_required';
    if (Object.keys(missing).length) throw new ValidationError(missing);
    // Longer than any valid login name or password: refuse before it reaches the hash.
    if (loginName.length > 64 || attempt.password.length > 128) return this.fail(attempt, loginName, false);

    const addressKey = `login-failures:${attempt.ip}`;
    const address = await this.rateLimiter.peek(addressKey, this.protection.addressFailures);
    if (!address.allowed) {
      await this.record(attempt, 'login.refused', 'refused', undefined, { reason: 'address_limited' });
      throw new LoginRefused('login.error.address_limited', 429, false, {}, { minutes: Math.ceil(address.retryAfterSeconds / 60) });
    }

    const key = loginNameKey(loginName);
    const throttle = await this.throttles.state(key);
    if (throttle.lockedUntil) {
      await this.record(attempt, 'login.refused', 'locked', undefined, { reason: 'locked' });
      throw new LoginRefused('login.error.locked', 429, true, {}, { minutes: minutesUntil(throttle.lockedUntil) });
    }
    if (throttle.failures >= this.protection.captchaAfter) {
      if (!attempt.captchaAnswer) {
        throw new LoginRefused('login.error.captcha_required', 400, true, { captcha: 'login.error.captcha_required' });
      }
      if (!(await this.captchas.verify(attempt.captchaId, LOGIN_CAPTCHA_PURPOSE, attempt.captchaAnswer))) {
        throw new LoginRefused('login.error.captcha_wrong', 400, true, { captcha: 'login.error.captcha_wrong' });
      }
    }

    const credentials = await this.accounts.findCredentials(loginName);
    // Looked up for unknown names too (as NO_ACCOUNT): the same queries whether or not the name exists.
    const legacy = credentials?.passwordHash ? undefined : await this.legacyLogins.find(credentials?.id ?? NO_ACCOUNT);
    const passwordOk = credentials?.passwordHash
      ? await this.hasher.verify(credentials.passwordHash, attempt.password)
      : legacy
        ? await this.legacyLogins.verify(legacy, attempt.password)
        : await this.hasher.verifyAgainstDummy(attempt.password);
    // Asked whenever the password fails, for unknown names too: the same work for every failure.
    const credentialOk = !passwordOk && (await this.oneTimeCredentials.matches(credentials?.id ?? NO_ACCOUNT, attempt.password));
    if (!credentials || !(passwordOk || credentialOk)) return this.fail(attempt, loginName, true, credentials?.id);
    const method: LoginMethod = passwordOk ? 'password' : 'one_time_credential';

    // Only a caller who knows the password learns the account's kind or state.
    if (credentials.status !== 'active') {
      await this.record(attempt, 'login.refused', 'refused', credentials.id, { reason: credentials.status });
      throw new LoginRefused('login.error.disabled', 403, false);
    }
    if (credentials.kind !== attempt.window) {
      await this.record(attempt, 'login.refused', 'refused', credentials.id, { reason: 'wrong_window' });
      throw new LoginRefused(`login.error.wrong_window_${credentials.kind}`, 400, false, {
        window: `login.error.wrong_window_${credentials.kind}`,
      });
    }

    await this.throttles.reset(key);
    await this.accounts.recordLogin(credentials.id);
    if (method === 'password' && legacy) {
      await this.legacyLogins.upgrade(credentials.id, legacy, attempt.password, { ip: attempt.ip, requestId: attempt.requestId });
    } else if (method === 'password' && this.hasher.needsRehash(credentials.passwordHash!)) {
      await this.accounts.updatePasswordHash(credentials.id, await this.hasher.hash(attempt.password));
    }
    await this.record(attempt, 'login.success', 'success', credentials.id, { method });
    return { accountId: credentials.id, method };
  }

  private async fail(attempt: LoginAttempt, loginName: string, counted: boolean, accountId?: string): Promise<never> {
    const state = counted
      ? await this.throttles.recordFailure(loginNameKey(loginName), this.protection.lockAfter, this.protection.lockSeconds)
      : { failures: 0, lockedUntil: null };
    await this.rateLimiter.hit(`login-failures:${attempt.ip}`, this.protection.addressFailures, this.protection.addressWindowSeconds);
    await this.record(attempt, 'login.failure', 'failure', accountId, { failures: state.failures });
    if (state.lockedUntil) {
      await this.record(attempt, 'login.locked', 'locked', accountId, { lockedUntil: state.lockedUntil.toISOString() });
      throw new LoginRefused('login.error.locked', 429, true, {}, { minutes: minutesUntil(state.lockedUntil) });
    }
    throw new LoginRefused('login.error.invalid_credentials', 401, state.failures >= this.protection.captchaAfter);
  }

  private async record(
    attempt: LoginAttempt,
    event: string,
    outcome: 'success' | 'failure' | 'locked' | 'refused',
    accountId: string | undefined,
    details: Record<string, unknown> = {},
  ): Promise<void> {
    await this.audit.record({
      event,
      outcome,
      actor: accountId ? { type: 'account', id: accountId } : { type: 'anonymous' },
      // Unknown names are recorded by their lower-case key so repeated probing shows up; never the password.
      subject: accountId ? { type: 'account', id: accountId } : { type: 'login_name', id: loginNameKey(attempt.loginName).slice(0, 64) },
      ip: attempt.ip,
      requestId: attempt.requestId,
      details: { window: attempt.window, ...details },
    });
  }
}
