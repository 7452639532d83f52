import crypto from 'node:crypto';
import { isValidMainlandMobile, normalizeMobile } from '../accounts/identity-documents.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { DomainError, RateLimitedError, ValidationError } from '../errors.js';
import type { MessageKey } from '../i18n/index.js';
import type { Logger } from '../logger.js';
import { sharedSecret } from '../security/app-secrets.js';
import { maskMobile, type PiiCrypto } from '../security/pii-crypto.js';
import type { Settings } from '../settings.js';
import type { SmsCodeRepository } from './sms-code.repository.js';
import { SmsGatewayUnavailable, type SmsSender } from './sms.port.js';
import { codeMessage, type SmsPurpose } from './sms-templates.js';

export interface CodeRequest {
  mobile: string;
  purpose: SmsPurpose;
  /** The client address, for the daily cap per address and the audit log. */
  ip: string;
  requestId?: string;
  /**
   * Count the request as a code sent — the same resend wait, daily caps and answer — but send
   * nothing and store a code that never verifies. For flows that must not tell whether a mobile is
   * the one on record (password reset by login name): a code goes only to the reserved mobile, and
   * another number gets the very same answer.
   */
  withhold?: boolean;
}

export interface CodeEntry {
  mobile: string;
  purpose: SmsPurpose;
  /** What the user typed. */
  code: string;
  ip?: string;
  requestId?: string;
}

/** A code request refused for now (resend too early, a daily cap): 429, try again in `retryAfterSeconds`. */
export class SmsCodeRateLimited extends RateLimitedError {
  constructor(code: MessageKey, retryAfterSeconds: number) {
    super(retryAfterSeconds, code, { smsCode: code }, { seconds: retryAfterSeconds });
  }
}

/** 6 digits, leading zeros included, from the CSPRNG. */
export function generateCode(): string {
  return String(crypto.randomInt(0, 1_000_000)).padStart(6, '0');
}

// Daily caps follow the calendar day in China (UTC+8 all year), which is what "per day" means to users.
const CHINA_OFFSET_MS = 8 * 3600_000;
const DAY_MS = 24 * 3600_000;
const startOfChinaDay = (at: Date) => new Date(Math.floor((at.getTime() + CHINA_OFFSET_MS) / DAY_MS) * DAY_MS - CHINA_OFFSET_MS);

/**
 * SMS one-time codes for every flow (registration, password reset, appeal, change of mobile, legacy
 * lookup), SPEC §6: bound to mobile + purpose, stored only as an HMAC, single use, valid for
 * SMS_CODE_TTL, resent only after SMS_RESEND_AFTER, void after SMS_MAX_ATTEMPTS wrong entries,
 * and capped per mobile and per address each day. The caller has already checked a captcha.
 */
export class SmsCodeService {
  #key?: Promise<Buffer>;

  constructor(
    private readonly db: Db,
    private readonly codes: SmsCodeRepository,
    private readonly crypt: PiiCrypto,
    private readonly sender: SmsSender,
    private readonly audit: AuditService,
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly settings: Settings['sms'],
  ) {}

  /** Sends a new code; throws ValidationError (mobile), SmsCodeRateLimited (429) or a 503 DomainError. */
  async requestCode(request: CodeRequest): Promise<{ resendAfterSeconds: number }> {
    const mobile = this.validMobile(request.mobile);
    const mobileIndex = this.crypt.blindIndex(mobile);
    const { ttlSeconds, resendAfterSeconds, dailyPerMobile, dailyPerAddress } = this.settings.codes;
    const code = generateCode();
    // A withheld code's hash is of something no one can type (not 6 digits): it never verifies.
    const codeHash = this.hash(await this.key(), mobileIndex, request.purpose, request.withhold ? `withheld:${crypto.randomUUID()}` : code);
    const now = this.clock();

    const outcome = await this.db.transaction(async (trx): Promise<{ id: number } | { refused: SmsCodeRateLimited; reason: string }> => {
      // Always address first, then mobile: a fixed order cannot deadlock.
      await this.codes.lock(trx, `sms:ip:${request.ip}`);
      await this.codes.lock(trx, `sms:mobile:${mobileIndex}`);
      const last = await this.codes.lastIssuedAt(trx, mobileIndex);
      const wait = last ? Math.ceil((last.getTime() + resendAfterSeconds * 1000 - now.getTime()) / 1000) : 0;
      if (wait > 0) return { refused: new SmsCodeRateLimited('sms.error.resend_too_early', wait), reason: 'resend_too_early' };
      const dayStart = startOfChinaDay(now);
      const untilTomorrow = Math.ceil((dayStart.getTime() + DAY_MS - now.getTime()) / 1000);
      if ((await this.codes.countSince(trx, { mobileIndex }, dayStart)) >= dailyPerMobile) {
        return { refused: new SmsCodeRateLimited('sms.error.mobile_daily_limit', untilTomorrow), reason: 'mobile_daily_limit' };
      }
      if ((await this.codes.countSince(trx, { ip: request.ip }, dayStart)) >= dailyPerAddress) {
        return { refused: new SmsCodeRateLimited('sms.error.address_daily_limit', untilTomorrow), reason: 'address_daily_limit' };
      }
      const id = await this.codes.insert(trx, {
        mobileIndex,
        purpose: request.purpose,
        codeHash,
        ip: request.ip,
        createdAt: now,
        expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
      });
      return { id };
    });

    const auditBase = { actor: { type: 'anonymous' as const }, subject: { type: 'mobile', id: mobileIndex }, ip: request.ip, requestId: request.requestId };
    const details = { mobile: maskMobile(mobile), purpose: request.purpose };
    if ('refused' in outcome) {
      await this.audit.record({ ...auditBase, event: 'sms.code_refused', outcome: 'refused', details: { ...details, reason: outcome.reason } });
      throw outcome.refused;
    }

    if (request.withhold) {
      await this.audit.record({ ...auditBase, event: 'sms.code_withheld', outcome: 'refused', details });
      return { resendAfterSeconds };
    }

    // Sent after commit: no transaction waits on the gateway.
    try {
      await this.sender.send({ mobile, ...codeMessage(request.purpose, code, ttlSeconds, this.settings.signName) });
    } catch (error) {
      // The code never reached the phone: it must not hold up a retry or count against a cap,
      // and the previous code (if any) stays the one that verifies.
      await this.codes.delete(outcome.id);
      if (!(error instanceof SmsGatewayUnavailable)) throw error;
      this.logger.warn({ err: error, requestId: request.requestId }, 'SMS gateway unavailable');
      await this.audit.record({ ...auditBase, event: 'sms.send_failed', outcome: 'failure', details: { ...details, reason: error.message } });
      throw new DomainError('sms.error.unavailable', 503, { smsCode: 'sms.error.unavailable' });
    }
    await this.audit.record({ ...auditBase, event: 'sms.code_sent', outcome: 'success', details });
    return { resendAfterSeconds };
  }

  /**
   * Checks and consumes the newest code sent to `mobile` for `purpose`. Throws ValidationError
   * (mobile, or a code that is not 6 digits, which costs no attempt) or a DomainError with field
   * `smsCode`: no code, expired, too many attempts, or wrong (with the attempts left).
   */
  async verifyCode(entry: CodeEntry): Promise<void> {
    const mobile = this.validMobile(entry.mobile);
    const typed = entry.code.trim();
    if (!/^\d{6}$/.test(typed)) throw new ValidationError({ smsCode: 'sms.error.code_format' });
    const mobileIndex = this.crypt.blindIndex(mobile);
    const { maxAttempts } = this.settings.codes;
    const given = Buffer.from(this.hash(await this.key(), mobileIndex, entry.purpose, typed), 'hex');
    const now = this.clock();

    const result = await this.db.transaction(async (trx): Promise<{ ok: true } | { ok: false; key: MessageKey; attempts?: number }> => {
      const row = await this.codes.latestForUpdate(trx, mobileIndex, entry.purpose);
      if (!row || row.usedAt) return { ok: false, key: 'sms.error.no_code' };
      if (row.attempts >= maxAttempts) return { ok: false, key: 'sms.error.too_many_attempts' };
      if (row.expiresAt.getTime() <= now.getTime()) return { ok: false, key: 'sms.error.code_expired' };
      if (!crypto.timingSafeEqual(Buffer.from(row.codeHash, 'hex'), given)) {
        const attempts = await this.codes.addAttempt(trx, row.id);
        return { ok: false, key: attempts >= maxAttempts ? 'sms.error.too_many_attempts' : 'sms.error.code_wrong', attempts };
      }
      await this.codes.markUsed(trx, row.id, now);
      return { ok: true };
    });
    if (result.ok) return;

    if (result.attempts !== undefined) {
      const locked = result.attempts >= maxAttempts;
      await this.audit.record({
        event: locked ? 'sms.code_locked' : 'sms.code_failed',
        outcome: locked ? 'locked' : 'failure',
        actor: { type: 'anonymous' },
        subject: { type: 'mobile', id: mobileIndex },
        ip: entry.ip,
        requestId: entry.requestId,
        details: { mobile: maskMobile(mobile), purpose: entry.purpose, attempts: result.attempts },
      });
    }
    const remaining = maxAttempts - (result.attempts ?? 0);
    throw new DomainError(result.key, 400, { smsCode: result.key }, { remaining });
  }

  /** Deletes codes older than two days: expired long ago and outside every daily cap. */
  async purgeExpired(): Promise<number> {
    return this.codes.purgeCreatedBefore(new Date(this.clock().getTime() - 2 * DAY_MS));
  }

  private validMobile(value: string): string {
    const mobile = normalizeMobile(value);
    if (!isValidMainlandMobile(mobile)) throw new ValidationError({ mobile: 'account.error.mobile_invalid' });
    return mobile;
  }

  /**
   * Keyed, so a copy of the table cannot be searched through the million possible codes without the
   * secret; bound to mobile and purpose, so a code matches nowhere else.
   */
  private hash(key: Buffer, mobileIndex: string, purpose: SmsPurpose, code: string): string {
    return crypto.createHmac('sha256', key).update(`${mobileIndex}:${purpose}:${code}`).digest('hex');
  }

  /** A secret shared by every instance, made by the first that needs it (stored encrypted). */
  private key(): Promise<Buffer> {
    this.#key ??= sharedSecret(this.db, this.crypt, 'sms_code_key').catch((error: unknown) => {
      this.#key = undefined;
      throw error;
    });
    return this.#key;
  }
}
