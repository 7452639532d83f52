/**
 * What the two registration forms (自然人注册, 单位用户（法人）注册) share over HTTP: reading the form,
 * the per-address budget of lookups, 检索登录名是否已注册, 获取验证码 without JavaScript, showing a
 * refused form again, and the stored result page.
 */
import type { Context } from 'koa';
import type { AccountRepository } from '../../accounts/account.repository.js';
import type { AccountKind } from '../../accounts/account.types.js';
import { validateLoginName } from '../../accounts/login-name.js';
import { DomainError, RateLimitedError, ValidationError } from '../../errors.js';
import type { FieldNotes } from '../../http/field-notes.js';
import { renderPage, type PageChrome } from '../../http/render.js';
import type { MessageKey } from '../../i18n/index.js';
import { SMS_CAPTCHA_PURPOSE } from '../../notify/sms.routes.js';
import { browserId } from '../../security/browser-csrf.js';
import type { CaptchaService } from '../../security/captcha.service.js';
import type { RateLimiter } from '../../security/rate-limiter.js';
import type { RegistrationFlowRepository } from './registration-flow.repository.js';

/** Lookups that tell something about other people's accounts: one budget per address for all of them. */
export const CHECKS_PER_WINDOW = 20;
const CHECK_WINDOW_SECONDS = 10 * 60;

/** The named text fields of the posted form ('' when missing or not text; at most 200 characters). */
export function readTextFields<F extends string>(ctx: Context, fields: readonly F[]): Record<F, string> {
  const body = (ctx.request.body ?? {}) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, 200) : '');
  return Object.fromEntries(fields.map((field) => [field, text(body[field])])) as Record<F, string>;
}

/** Counts one lookup against the address; 429 (with Retry-After) once its budget is spent. */
export async function limitLookups(ctx: Context, rateLimiter: RateLimiter): Promise<void> {
  await rateLimiter.enforce(`registration-check:${ctx.ip}`, CHECKS_PER_WINDOW, CHECK_WINDOW_SECONDS);
}

const ok = (text: string) => ({ kind: 'ok', text }) as const;
const problem = (text: string) => ({ kind: 'error', text }) as const;

/** 检索登录名是否已注册. A malformed name is told without spending a lookup. */
export async function lookUpLoginName(
  ctx: Context,
  deps: { accounts: Pick<AccountRepository, 'loginNameTaken'>; rateLimiter: RateLimiter },
  loginName: string,
): Promise<FieldNotes> {
  const checked = validateLoginName(loginName);
  if (!checked.ok) throw new ValidationError({ loginName: `account.error.login_name_${checked.reason}` });
  await limitLookups(ctx, deps.rateLimiter);
  const taken = await deps.accounts.loginNameTaken(checked.normalized);
  const t = ctx.state.t;
  return { loginName: taken ? problem(t('account.error.login_name_taken')) : ok(t('register.login_name_available')) };
}

/** A lookup's answer under its field: `taken` is a problem for the registrant, otherwise fine. */
export function lookupNote(ctx: Context, field: string, taken: boolean, takenKey: MessageKey, freeKey: MessageKey): FieldNotes {
  const t = ctx.state.t;
  return { [field]: taken ? problem(t(takenKey)) : ok(t(freeKey)) };
}

export interface FormCodeSender {
  requestCode(input: { mobile: string; purpose: 'register' | 'appeal'; ip: string; requestId?: string }): Promise<{ resendAfterSeconds: number }>;
}

/**
 * 获取验证码 as a plain form post (the page's script asks /sms/code in place instead), on the
 * registration and appeal forms: the image captcha first, then a code for `purpose` to `mobile`.
 * A bad mobile is reported on the field `mobile`.
 */
export async function sendFormCode(
  ctx: Context,
  deps: { captchas: CaptchaService; smsCodes: FormCodeSender },
  mobile: string,
  purpose: 'register' | 'appeal' = 'register',
): Promise<FieldNotes> {
  const body = ctx.request.body as Record<string, unknown>;
  const captcha = typeof body.captcha === 'string' ? body.captcha : '';
  const captchaId = typeof body.captchaId === 'string' ? body.captchaId : undefined;
  if (!captcha.trim()) throw new ValidationError({ captcha: 'login.error.captcha_required' });
  if (!(await deps.captchas.verify(captchaId, SMS_CAPTCHA_PURPOSE, captcha))) throw new ValidationError({ captcha: 'login.error.captcha_wrong' });
  const { resendAfterSeconds } = await deps.smsCodes.requestCode({ mobile: mobile.trim(), purpose, ip: ctx.ip, requestId: ctx.state.requestId });
  return { smsCode: ok(ctx.state.t('register.sms_sent', { seconds: resendAfterSeconds })) };
}

/**
 * A refused form, to be shown again with every field's message beside its field and nothing typed
 * lost: its notes, status and the summary above the form. `renamed` maps a service's field names to
 * the form's (the SMS service says `mobile` where the legal form has `agentMobile`). A CSRF failure
 * and faults that belong to no field (the database, a bug) go on to the error handler.
 */
export function refusedForm(
  error: unknown,
  ctx: Context,
  renamed: Record<string, string> = {},
): { notes: FieldNotes; status: number; summary: string } {
  if (!(error instanceof DomainError) || error.status === 403) throw error;
  const messages = error.fieldMessages(ctx.state.t);
  if (error.status >= 500 && Object.keys(messages).length === 0) throw error;
  if (error instanceof RateLimitedError) ctx.set('Retry-After', String(error.retryAfterSeconds));
  const t = ctx.state.t;
  return {
    notes: Object.fromEntries(Object.entries(messages).map(([field, text]) => [renamed[field] ?? field, problem(text)])),
    status: error.status,
    summary: error instanceof ValidationError ? t('error.validation') : t(error.code, error.params),
  };
}

export interface ResultPage {
  kind: AccountKind;
  heading: MessageKey;
  /** The outcome's message key: `${outcomePrefix}${outcome}`. */
  outcomePrefix: string;
  /** Where 登录 leads: the sign-in the registration started from, or the portal's window. */
  signIn(returnTo: string | null): string;
}

/**
 * GET …/result/:id: the stored result of a submitted registration, for the browser that submitted it
 * (registration-flow.repository.ts), and only on the form of the account's own kind.
 */
export function showResult(deps: { chrome: PageChrome; flows: RegistrationFlowRepository; accounts: AccountRepository }, page: ResultPage) {
  return async (ctx: Context & { params: Record<string, string | undefined> }) => {
    const flow = await deps.flows.find(ctx.params.id ?? '', browserId(ctx));
    const account = flow && (await deps.accounts.findById(flow.accountId));
    if (!flow || account?.kind !== page.kind) throw new DomainError('register.error.flow_expired', 404);
    renderPage(ctx, deps.chrome, 'register/result', {
      heading: ctx.state.t(page.heading),
      loginName: account.loginName,
      outcome: flow.verificationOutcome,
      outcomeKey: `${page.outcomePrefix}${flow.verificationOutcome}`,
      returnTo: page.signIn(flow.returnTo),
      myInformation: `/portal/login?login_type=${page.kind}`,
    });
  };
}
