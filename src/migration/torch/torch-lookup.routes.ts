import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import { normalizeMobile, normalizeUscc } from '../../accounts/identity-documents.js';
import { fieldMarkup, type FieldNotes } from '../../http/field-notes.js';
import { renderPage, type PageChrome } from '../../http/render.js';
import { SMS_CAPTCHA_PURPOSE } from '../../notify/sms.routes.js';
import { requireCsrf } from '../../security/browser-csrf.js';
import type { CaptchaService } from '../../security/captcha.service.js';
import type { CsrfTokens } from '../../security/csrf.js';
import { maskMobile } from '../../security/pii-crypto.js';
import type { RateLimiter } from '../../security/rate-limiter.js';
import { readTextFields, refusedForm } from '../../flows/registration/registration-form.js';
import { ANSWER_TEXT } from './torch-lookup.messages.js';
import type { LookupAnswer, LookupKind } from './torch-lookup.rules.js';
import { TORCH_LOOKUP_CAPTCHA_PURPOSE, type LookupActor, type TorchLookupService } from './torch-lookup.service.js';

export interface TorchLookupDeps {
  chrome: PageChrome;
  csrf: CsrfTokens;
  lookups: TorchLookupService;
  captchas: CaptchaService;
  rateLimiter: RateLimiter;
}

const CAPTCHAS_PER_MINUTE = 30;
const ENTERPRISE_FIELDS = ['uscc', 'captchaId', 'captcha'] as const;
const PERSONAL_FIELDS = ['mobile', 'captchaId', 'captcha', 'smsCode'] as const;

const actorOf = (ctx: Context): LookupActor => ({ ip: ctx.ip, requestId: ctx.state.requestId });

/**
 * 火炬中心账号检索 over HTTP: `/torch/lookup/enterprise` (USCC + image captcha) and
 * `/torch/lookup/personal` (mobile + SMS code, its image captcha first), `/torch/lookup` being the
 * enterprise form. The answer is the page a lookup posts back, never a URL: nothing of it lands in
 * history, logs or a referrer. Forms work without JavaScript; with it, 获取验证码 and 换一张 stay on the page.
 */
export function torchLookupRoutes(deps: TorchLookupDeps): Router {
  const { chrome, csrf, lookups, captchas, rateLimiter } = deps;
  const router = new Router({ prefix: '/torch/lookup' });
  router.use(bodyParser({ enableTypes: ['form'], formLimit: '8kb' }));

  async function renderForm(ctx: Context, kind: LookupKind, form: Record<string, string> = {}, notes: FieldNotes = {}, status = 200, summary?: string) {
    const personal = kind === 'personal';
    renderPage(
      ctx,
      chrome,
      'torch/lookup',
      {
        kind,
        // The SMS code is never shown back: a refused one is spent or wrong anyway.
        form: { ...form, smsCode: '' },
        ui: fieldMarkup(notes),
        summary,
        captcha: await captchas.create(personal ? SMS_CAPTCHA_PURPOSE : TORCH_LOOKUP_CAPTCHA_PURPOSE),
        csrf: ctx.state.csrfToken,
        action: `/torch/lookup/${kind}`,
        scripts: [personal ? '/assets/register.js' : '/assets/login.js'],
      },
      status,
    );
  }

  function renderAnswer(ctx: Context, answer: LookupAnswer, asked: string) {
    renderPage(ctx, chrome, 'torch/answer', { answer, text: ANSWER_TEXT[answer.case], asked });
  }


  router.get('/', (ctx) => renderForm(ctx, 'enterprise'));
  router.get('/enterprise', (ctx) => renderForm(ctx, 'enterprise'));
  router.get('/personal', (ctx) => renderForm(ctx, 'personal'));

  /** A new enterprise captcha for 换一张 (JSON), limited per address. */
  router.get('/captcha', async (ctx) => {
    await rateLimiter.enforce(`captcha-torch-lookup:${ctx.ip}`, CAPTCHAS_PER_MINUTE, 60);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await captchas.create(TORCH_LOOKUP_CAPTCHA_PURPOSE);
  });

  router.post('/enterprise', async (ctx) => {
    requireCsrf(ctx, csrf);
    const input = readTextFields(ctx, ENTERPRISE_FIELDS);
    try {
      const answer = await lookups.lookUpEnterprise(input, actorOf(ctx));
      renderAnswer(ctx, answer, ctx.state.t('torch_lookup.asked_uscc', { uscc: normalizeUscc(input.uscc) }));
    } catch (error) {
      const { notes, status, summary } = refusedForm(error, ctx);
      await renderForm(ctx, 'enterprise', input, notes, status, summary);
    }
  });

  // 获取验证码 without JavaScript (action=send_sms), or 检索.
  router.post('/personal', async (ctx) => {
    requireCsrf(ctx, csrf);
    const input = readTextFields(ctx, PERSONAL_FIELDS);
    try {
      if ((ctx.request.body as Record<string, unknown>).action === 'send_sms') {
        const { resendAfterSeconds } = await lookups.sendPersonalCode(input, actorOf(ctx));
        const sent = ctx.state.t('register.sms_sent', { seconds: resendAfterSeconds });
        return await renderForm(ctx, 'personal', input, { smsCode: { kind: 'ok', text: sent } });
      }
      const answer = await lookups.lookUpPersonal(input, actorOf(ctx));
      renderAnswer(ctx, answer, ctx.state.t('torch_lookup.asked_mobile', { mobile: maskMobile(normalizeMobile(input.mobile)) }));
    } catch (error) {
      const { notes, status, summary } = refusedForm(error, ctx);
      await renderForm(ctx, 'personal', input, notes, status, summary);
    }
  });

  return router;
}
