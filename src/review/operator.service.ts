import crypto from 'node:crypto';
import type { Actor } from '../accounts/account.service.js';
import { validateLoginName } from '../accounts/login-name.js';
import { checkPassword } from '../accounts/password-policy.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import { DomainError, ValidationError } from '../errors.js';
import type { LoginThrottleRepository } from '../flows/login/login-throttle.repository.js';
import type { MessageKey } from '../i18n/index.js';
import type { PasswordHasher } from '../security/password-hasher.js';
import type { RateLimiter } from '../security/rate-limiter.js';
import type { Settings } from '../settings.js';
import type { Operator, OperatorRepository, OperatorRole } from './operator.repository.js';
import { newTotpSecret, totpUri, verifyTotp } from './totp.js';

export interface NewOperator {
  username: string;
  password: string;
  role: OperatorRole;
}

export interface OperatorSignIn {
  username: string;
  password: string;
  totp: string;
  ip: string;
  requestId?: string;
}

const minutesUntil = (date: Date, now: Date) => Math.max(1, Math.ceil((date.getTime() - now.getTime()) / 60000));

// Operators share the login throttle table with accounts; the prefix keeps the two apart
// (login names cannot contain a colon).
const throttleKey = (username: string) => `operator:${username.trim().toLowerCase()}`;
const addressKey = (ip: string) => `console-login-failures:${ip}`;

/**
 * Operators of the review console (SPEC §10): created from the command line with a password and a
 * TOTP secret; sign-in takes both factors, with the same lockout and per-address limit as user
 * logins, and every attempt is audited. Unknown usernames, wrong passwords and wrong codes get one
 * answer, so the form tells an attacker nothing about which factor failed.
 */
export class OperatorService {
  constructor(
    private readonly operators: OperatorRepository,
    private readonly throttles: LoginThrottleRepository,
    private readonly rateLimiter: RateLimiter,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditService,
    private readonly protection: Settings['loginProtection'],
    private readonly clock: Clock,
  ) {}

  /** Returns the TOTP secret and its otpauth:// URI: shown once, to be put in an authenticator app. */
  async create(input: NewOperator, actor: Actor): Promise<{ operator: Operator; totpSecret: string; otpauthUri: string }> {
    const fields: Partial<Record<string, MessageKey>> = {};
    const username = validateLoginName(input.username ?? '');
    if (!username.ok) fields.username = `account.error.login_name_${username.reason}`;
    const password = checkPassword(input.password ?? '', input.username ?? '');
    if (!password.ok) fields.password = `account.error.password_${password.problems[0]!}`;
    if (Object.keys(fields).length > 0) throw new ValidationError(fields);

    const id = crypto.randomUUID();
    const totpSecret = await newTotpSecret();
    const passwordHash = await this.hasher.hash(input.password);
    const name = input.username.trim();
    if (await this.operators.usernameTaken(name)) throw new ValidationError({ username: 'operator.error.username_taken' });
    await this.operators.insert({ id, username: name, passwordHash, totpSecret, role: input.role });
    await this.audit.record({
      event: 'operator.created',
      outcome: 'success',
      actor: { type: actor.type, id: actor.id },
      subject: { type: 'operator', id },
      details: { role: input.role },
    });
    const operator = (await this.operators.findById(id))!;
    return { operator, totpSecret, otpauthUri: await totpUri(name, totpSecret) };
  }

  /** Returns the signed-in operator, or throws (ValidationError for empty fields, DomainError otherwise). */
  async authenticate(attempt: OperatorSignIn): Promise<Operator> {
    const username = attempt.username.trim();
    const missing: Partial<Record<string, MessageKey>> = {};
    if (!username) missing.username = 'console.error.username_required';
    if (!attempt.password) missing.password = 'console.error.password_required';
    if (!attempt.totp) missing.totp = 'console.error.totp_required';
    else if (!/^\d{6}$/.test(attempt.totp.trim())) missing.totp = 'console.error.totp_format';
    if (Object.keys(missing).length) throw new ValidationError(missing);
    if (username.length > 64 || attempt.password.length > 128) return this.fail(attempt, username, 'too_long');

    const now = this.clock();
    const address = await this.rateLimiter.peek(addressKey(attempt.ip), this.protection.addressFailures);
    if (!address.allowed) {
      await this.record(attempt, username, 'console.login.refused', 'refused', undefined, { reason: 'address_limited' });
      throw new DomainError('console.error.address_limited', 429, {}, { minutes: Math.ceil(address.retryAfterSeconds / 60) });
    }
    const throttle = await this.throttles.state(throttleKey(username));
    if (throttle.lockedUntil) {
      await this.record(attempt, username, 'console.login.refused', 'locked', undefined, { reason: 'locked' });
      throw new DomainError('console.error.locked', 429, {}, { minutes: minutesUntil(throttle.lockedUntil, now) });
    }

    const operator = await this.operators.findCredentials(username);
    const passwordOk = operator
      ? await this.hasher.verify(operator.passwordHash, attempt.password)
      : await this.hasher.verifyAgainstDummy(attempt.password);
    if (!operator || !passwordOk) return this.fail(attempt, username, 'password', operator?.id);
    const step = await verifyTotp(operator.totpSecret, attempt.totp.trim(), now);
    if (step === undefined) return this.fail(attempt, username, 'totp', operator.id);
    // A step at or before the last one accepted is a replay; the update settles races between two sign-ins.
    const fresh = (operator.totpLastStep === null || step > operator.totpLastStep) && (await this.operators.acceptTotpStep(operator.id, step));
    if (!fresh) return this.fail(attempt, username, 'totp_replayed', operator.id);

    // Only someone holding both factors learns that the operator is disabled.
    if (operator.status !== 'active') {
      await this.record(attempt, username, 'console.login.refused', 'refused', operator.id, { reason: operator.status });
      throw new DomainError('login.error.disabled', 403);
    }
    await this.throttles.reset(throttleKey(username));
    await this.operators.recordLogin(operator.id);
    await this.record(attempt, username, 'console.login.success', 'success', operator.id);
    return operator;
  }

  private async fail(attempt: OperatorSignIn, username: string, reason: string, operatorId?: string): Promise<never> {
    const state = await this.throttles.recordFailure(throttleKey(username), this.protection.lockAfter, this.protection.lockSeconds);
    await this.rateLimiter.hit(addressKey(attempt.ip), this.protection.addressFailures, this.protection.addressWindowSeconds);
    // The audit log keeps which factor failed; the page does not say.
    await this.record(attempt, username, 'console.login.failure', 'failure', operatorId, { reason, failures: state.failures });
    if (state.lockedUntil) {
      await this.record(attempt, username, 'console.login.locked', 'locked', operatorId, { lockedUntil: state.lockedUntil.toISOString() });
      throw new DomainError('console.error.locked', 429, {}, { minutes: minutesUntil(state.lockedUntil, this.clock()) });
    }
    throw new DomainError('console.error.invalid_credentials', 401);
  }

  private async record(
    attempt: OperatorSignIn,
    username: string,
    event: string,
    outcome: 'success' | 'failure' | 'locked' | 'refused',
    operatorId: string | undefined,
    details: Record<string, unknown> = {},
  ): Promise<void> {
    await this.audit.record({
      event,
      outcome,
      actor: operatorId ? { type: 'operator', id: operatorId } : { type: 'anonymous' },
      subject: operatorId ? { type: 'operator', id: operatorId } : { type: 'operator_username', id: username.toLowerCase().slice(0, 64) },
      ip: attempt.ip,
      requestId: attempt.requestId,
      details,
    });
  }
}
