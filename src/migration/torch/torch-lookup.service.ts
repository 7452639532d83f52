import { isValidMainlandMobile, normalizeMobile, normalizeUscc, validateUscc } from '../../accounts/identity-documents.js';
import type { AuditService } from '../../audit/audit.service.js';
import { ValidationError } from '../../errors.js';
import type { MessageKey } from '../../i18n/index.js';
import type { SmsCodeService } from '../../notify/sms-code.service.js';
import { SMS_CAPTCHA_PURPOSE } from '../../notify/sms.routes.js';
import type { CaptchaService } from '../../security/captcha.service.js';
import type { PiiCrypto } from '../../security/pii-crypto.js';
import type { RateLimiter } from '../../security/rate-limiter.js';
import type { TorchLookupRepository } from './torch-lookup.repository.js';
import { answerForNewEnterprise, answerForNewPerson, answerForOutcome, type LookupAnswer, type LookupKind } from './torch-lookup.rules.js';

/** The image captcha of an enterprise lookup; a personal lookup answers the SMS captcha before its code. */
export const TORCH_LOOKUP_CAPTCHA_PURPOSE = 'torch-lookup';

/** [hits, window seconds]. */
type Limit = readonly [number, number];
export const TORCH_LOOKUP_LIMITS = {
  /** Lookups of either kind from one address. */
  lookupPerAddress: [20, 600],
  lookupPerUscc: [10, 3600],
  lookupPerMobile: [10, 3600],
  /** 获取验证码 posted as a form (the page's script asks /sms/code, which has its own captcha and caps). */
  codePerAddress: [20, 3600],
} as const satisfies Record<string, Limit>;

export interface LookupActor {
  ip: string;
  requestId?: string;
}

type Fields = Partial<Record<string, MessageKey>>;

/**
 * 火炬中心账号检索 (SPEC §8): what the Torch Center migration did with a legacy account, told to the
 * one who asks in the guide's words. An enterprise asks with its USCC and an image captcha (a USCC
 * is public, and the answer names no person); a person asks with a mobile proven by an SMS code,
 * so no one learns another person's account. Rate limited per address and per USCC or mobile.
 */
export class TorchLookupService {
  constructor(
    private readonly lookups: TorchLookupRepository,
    private readonly crypt: Pick<PiiCrypto, 'blindIndex'>,
    private readonly captchas: CaptchaService,
    private readonly rateLimiter: RateLimiter,
    private readonly smsCodes: Pick<SmsCodeService, 'requestCode' | 'verifyCode'>,
    private readonly audit: AuditService,
  ) {}

  async lookUpEnterprise(input: { uscc: string; captchaId: string; captcha: string }, actor: LookupActor): Promise<LookupAnswer> {
    const uscc = normalizeUscc(input.uscc);
    const checked = validateUscc(uscc);
    const fields: Fields = {};
    if (!uscc) fields.uscc = 'torch_lookup.error.uscc_required';
    // A wrong check character is looked up all the same: the import keeps such a record as a conflict.
    else if (!checked.ok && checked.reason !== 'check_character') fields.uscc = `account.error.uscc_${checked.reason}`;
    if (!input.captcha.trim()) fields.captcha = 'login.error.captcha_required';
    if (Object.keys(fields).length) throw new ValidationError(fields);
    await this.limit(`torch-lookup:${actor.ip}`, TORCH_LOOKUP_LIMITS.lookupPerAddress);
    if (!(await this.captchas.verify(input.captchaId, TORCH_LOOKUP_CAPTCHA_PURPOSE, input.captcha))) {
      throw new ValidationError({ captcha: 'login.error.captcha_wrong' });
    }
    // Counted once the captcha is answered: unsolved requests must not use up a unit's budget.
    await this.limit(`torch-lookup-uscc:${uscc}`, TORCH_LOOKUP_LIMITS.lookupPerUscc);

    const outcome = await this.lookups.findOutcome('enterprise', uscc);
    if (!outcome && !checked.ok) throw new ValidationError({ uscc: 'account.error.uscc_check_character' });
    const answer = outcome ? answerForOutcome('enterprise', outcome) : answerForNewEnterprise(await this.lookups.legalAccountExists(uscc));
    await this.record('enterprise', { type: 'uscc', id: uscc }, answer, actor);
    return answer;
  }

  /** 获取验证码 as a form post: the SMS image captcha first, then a 'lookup' code to the mobile. */
  async sendPersonalCode(input: { mobile: string; captchaId: string; captcha: string }, actor: LookupActor): Promise<{ resendAfterSeconds: number }> {
    const fields: Fields = {};
    if (!isValidMainlandMobile(input.mobile)) fields.mobile = 'account.error.mobile_invalid';
    if (!input.captcha.trim()) fields.captcha = 'login.error.captcha_required';
    if (Object.keys(fields).length) throw new ValidationError(fields);
    await this.limit(`torch-lookup-code:${actor.ip}`, TORCH_LOOKUP_LIMITS.codePerAddress);
    if (!(await this.captchas.verify(input.captchaId, SMS_CAPTCHA_PURPOSE, input.captcha))) {
      throw new ValidationError({ captcha: 'login.error.captcha_wrong' });
    }
    return this.smsCodes.requestCode({ mobile: normalizeMobile(input.mobile), purpose: 'lookup', ip: actor.ip, requestId: actor.requestId });
  }

  /** The answer for the mobile the SMS code proves; a missing or wrong code is refused on the field smsCode. */
  async lookUpPersonal(input: { mobile: string; smsCode: string }, actor: LookupActor): Promise<LookupAnswer> {
    const mobile = normalizeMobile(input.mobile);
    const fields: Fields = {};
    if (!isValidMainlandMobile(mobile)) fields.mobile = 'account.error.mobile_invalid';
    if (!input.smsCode.trim()) fields.smsCode = 'torch_lookup.error.sms_code_required';
    else if (!/^\d{6}$/.test(input.smsCode.trim())) fields.smsCode = 'sms.error.code_format';
    if (Object.keys(fields).length) throw new ValidationError(fields);
    const mobileIndex = this.crypt.blindIndex(mobile);
    await this.limit(`torch-lookup:${actor.ip}`, TORCH_LOOKUP_LIMITS.lookupPerAddress);
    await this.limit(`torch-lookup-mobile:${mobileIndex}`, TORCH_LOOKUP_LIMITS.lookupPerMobile);
    // Wrong codes are audited by the code service, which also voids a code after too many of them.
    await this.smsCodes.verifyCode({ mobile, purpose: 'lookup', code: input.smsCode, ip: actor.ip, requestId: actor.requestId });

    const outcome = await this.lookups.findOutcome('personal', mobileIndex);
    const answer = outcome ? answerForOutcome('personal', outcome) : answerForNewPerson();
    await this.record('personal', { type: 'mobile', id: mobileIndex }, answer, actor);
    return answer;
  }

  private limit(key: string, [hits, windowSeconds]: Limit): Promise<void> {
    return this.rateLimiter.enforce(key, hits, windowSeconds);
  }

  /** Who asked about what, and which answer they got: a USCC as it is, a mobile only by its blind index. */
  private record(kind: LookupKind, subject: { type: string; id: string }, answer: LookupAnswer, actor: LookupActor) {
    return this.audit.record({
      event: 'torch.lookup',
      outcome: 'success',
      actor: { type: 'anonymous' },
      subject,
      ip: actor.ip,
      requestId: actor.requestId,
      details: { kind, case: answer.case },
    });
  }
}
