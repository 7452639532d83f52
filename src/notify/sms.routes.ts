import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Next } from 'koa';
import { DomainError, ValidationError } from '../errors.js';
import type { MessageKey } from '../i18n/index.js';
import { renderPage, type PageChrome } from '../http/render.js';
import { isValidMainlandMobile, normalizeMobile } from '../accounts/identity-documents.js';
import { requireCsrf } from '../security/browser-csrf.js';
import type { CaptchaService } from '../security/captcha.service.js';
import type { CsrfTokens } from '../security/csrf.js';
import type { RateLimiter } from '../security/rate-limiter.js';
import type { SmsCodeService } from './sms-code.service.js';
import type { SmsOutboxRepository } from './sms-outbox.repository.js';
import type { SmsPurpose } from './sms-templates.js';

/**
 * The purposes a page asks for in place, for a mobile the user types and then proves (registration,
 * an appeal's new mobile, the Torch lookup). The others go only to a mobile the account reserved,
 * and only through their own flows (reset, authorize, change_mobile): sent from here, a reset code
 * would reach any number.
 */
const PUBLIC_PURPOSES: readonly SmsPurpose[] = ['register', 'appeal', 'lookup'];
const isPublicPurpose = (value: unknown): value is SmsPurpose => PUBLIC_PURPOSES.includes(value as SmsPurpose);

/** Every code request answers an image captcha of this purpose first. */
export const SMS_CAPTCHA_PURPOSE = 'sms';

const CAPTCHAS_PER_MINUTE = 30;
const OUTBOX_PAGE_SIZE = 100;

export interface SmsRouteDeps {
  smsCodes: SmsCodeService;
  outbox: SmsOutboxRepository;
  captchas: CaptchaService;
  rateLimiter: RateLimiter;
  csrf: CsrfTokens;
  chrome: PageChrome;
  production: boolean;
}

const text = (value: unknown) => (typeof value === 'string' ? value : '');

const parser = bodyParser({ enableTypes: ['json', 'form'], jsonLimit: '8kb', formLimit: '8kb' });

/**
 * A body that does not parse (broken JSON) is bad input, 400. The parser's own error would reach
 * the error handler as an unknown error — a 500 that logs the raw body.
 */
async function parseBody(ctx: Context, next: Next): Promise<void> {
  try {
    await parser(ctx, async () => undefined);
  } catch (error) {
    const status = (error as { status?: number }).status;
    throw new DomainError('error.validation', status === 413 || status === 415 ? status : 400);
  }
  await next();
}

/**
 * `GET /captcha/sms` (a captcha for the "get code" button), `POST /sms/code` (send a code: CSRF,
 * captcha, then the code service) and, outside production only, the `/dev/sms-outbox` page.
 * JSON callers send `Accept: application/json` to get errors as JSON.
 */
export function smsRoutes(deps: SmsRouteDeps): Router {
  const { smsCodes, outbox, captchas, rateLimiter, csrf, chrome, production } = deps;
  const router = new Router();

  router.get('/captcha/sms', async (ctx) => {
    await rateLimiter.enforce(`captcha-sms:${ctx.ip}`, CAPTCHAS_PER_MINUTE, 60);
    ctx.set('Cache-Control', 'no-store');
    // The page's script needs the CSRF token for /sms/code too (other sites cannot read this JSON).
    ctx.body = { ...(await captchas.create(SMS_CAPTCHA_PURPOSE)), csrf: ctx.state.csrfToken };
  });

  router.post('/sms/code', parseBody, async (ctx: Context) => {
    requireCsrf(ctx, csrf);
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const mobile = text(body.mobile);
    const purpose = body.purpose;
    const captchaId = text(body.captchaId);
    const captcha = text(body.captcha);

    // Every field is checked before the captcha is spent on a request that would fail anyway.
    const fields: Partial<Record<string, MessageKey>> = {};
    const knownPurpose = isPublicPurpose(purpose);
    if (!isValidMainlandMobile(mobile)) fields.mobile = 'account.error.mobile_invalid';
    if (!knownPurpose) fields.purpose = 'sms.error.purpose_invalid';
    if (!captcha.trim() || !captchaId) fields.captcha = 'login.error.captcha_required';
    if (!knownPurpose || Object.keys(fields).length) throw new ValidationError(fields);
    if (!(await captchas.verify(captchaId, SMS_CAPTCHA_PURPOSE, captcha))) throw new ValidationError({ captcha: 'login.error.captcha_wrong' });

    const { resendAfterSeconds } = await smsCodes.requestCode({ mobile, purpose, ip: ctx.ip, requestId: ctx.state.requestId });
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { resend_after_seconds: resendAfterSeconds };
  });

  // A development tool: the codes the outbox adapter "sent". Production has no such page.
  if (!production) {
    router.get('/dev/sms-outbox', async (ctx) => {
      const mobile = normalizeMobile(text(ctx.query.mobile));
      renderPage(ctx, chrome, 'dev-sms-outbox', {
        mobile,
        messages: await outbox.recent({ mobile: mobile || undefined, limit: OUTBOX_PAGE_SIZE }),
      });
    });
  }

  return router;
}
