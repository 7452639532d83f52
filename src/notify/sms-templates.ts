/**
 * What the platform texts people: one-time codes, one template per purpose. Messages go to
 * mainland mobiles and are written in Chinese whatever the page language.
 */

/** Why a code was sent; a code verifies only for the purpose it was sent for. */
export const SMS_PURPOSES = ['register', 'reset', 'appeal', 'change_mobile', 'lookup', 'authorize'] as const;
export type SmsPurpose = (typeof SMS_PURPOSES)[number];

/** Messages that tell people what happened to their account (no code to type back). */
export const SMS_NOTICES = ['password_reset', 'appeal_approved', 'appeal_rejected'] as const;
export type SmsNotice = (typeof SMS_NOTICES)[number];

/** Our name of a message template; gateways map it to their own template ids (settings). */
export type SmsTemplate = `code_${SmsPurpose}` | `notice_${SmsNotice}`;


const ACTION: Record<SmsPurpose, string> = {
  register: '注册账号',
  reset: '找回密码',
  appeal: '提交账号申诉',
  change_mobile: '更换手机号码',
  lookup: '查询原火炬中心账号',
  authorize: '授权代办人',
};

export interface CodeMessage {
  template: SmsTemplate;
  text: string;
  /**
   * The template's variables, in the order cloud templates number them ({1} code, {2} minutes):
   * gateways that take an ordered list read them in this order.
   */
  params: { code: string; minutes: string };
}

/** `【科技部政务服务平台】验证码 123456，您正在注册账号，5 分钟内有效。请勿泄露给他人。` */
export function codeMessage(purpose: SmsPurpose, code: string, ttlSeconds: number, signName: string): CodeMessage {
  // Whole minutes rounded down, so a validity like 150 s is not overstated; at least 1.
  const minutes = String(Math.max(1, Math.floor(ttlSeconds / 60)));
  return {
    template: `code_${purpose}`,
    text: `【${signName}】验证码 ${code}，您正在${ACTION[purpose]}，${minutes} 分钟内有效。请勿泄露给他人。`,
    params: { code, minutes },
  };
}

/** A notice's variables, in the order cloud templates number them. */
export type NoticeParams = {
  /** 您的账号 {loginName} 的密码已于 {time} 重置。 */
  password_reset: { loginName: string; time: string };
  /** The one-time credential is digits only, so maskCodes hides it wherever the text is logged. */
  appeal_approved: { caseNumber: string; loginName: string; credential: string; hours: string };
  appeal_rejected: { caseNumber: string; reason: string };
};

const NOTICE_TEXT: { [N in SmsNotice]: (params: NoticeParams[N]) => string } = {
  password_reset: (p) => `您的账号 ${p.loginName} 的密码已于 ${p.time} 重置。如非本人操作，请立即联系技术支持。`,
  appeal_approved: (p) =>
    `您的申诉（编号 ${p.caseNumber}）已审核通过。登录名：${p.loginName}，一次性登录密码：${p.credential}，${p.hours} 小时内有效，仅可使用一次，登录后须设置新密码。请勿泄露给他人。`,
  appeal_rejected: (p) => `您的申诉（编号 ${p.caseNumber}）未通过审核，原因：${p.reason}。`,
};

export interface NoticeMessage {
  template: SmsTemplate;
  text: string;
  params: Record<string, string>;
}

/** `【科技部政务服务平台】您的申诉（编号 …）已审核通过。…` */
export function noticeMessage<N extends SmsNotice>(notice: N, params: NoticeParams[N], signName: string): NoticeMessage {
  return { template: `notice_${notice}`, text: `【${signName}】${NOTICE_TEXT[notice](params)}`, params };
}

/** The text with every run of 4 or more digits starred: what logs may show of a message. */
export function maskCodes(text: string): string {
  return text.replace(/\d{4,}/g, (digits) => '*'.repeat(digits.length));
}
