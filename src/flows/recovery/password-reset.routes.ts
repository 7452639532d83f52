import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Next } from 'koa';
import { DomainError } from '../../errors.js';
import { fieldMarkup, type FieldNotes } from '../../http/field-notes.js';
import { renderPage, type PageChrome } from '../../http/render.js';
import { SMS_CAPTCHA_PURPOSE } from '../../notify/sms.routes.js';
import { interactionPath } from '../../portal/sign-in-return.js';
import { browserId, requireCsrf } from '../../security/browser-csrf.js';
import type { CaptchaService } from '../../security/captcha.service.js';
import type { CsrfTokens } from '../../security/csrf.js';
import type { RateLimiter } from '../../security/rate-limiter.js';
import { readTextFields, refusedForm } from '../registration/registration-form.js';
import { returnQuery, safeReturnPath } from '../registration/return-to.js';
import type { PasswordResetFlow } from './password-reset-flow.js';
import { RESET_FIELDS, type ResetForm } from './password-reset.rules.js';
import {
  RESET_CAPTCHA_PURPOSE,
  ResetFlowGone,
  ResetStepRefused,
  type PasswordResetService,
  type ResetActor,
} from './password-reset.service.js';

export interface PasswordResetDeps {
  chrome: PageChrome;
  csrf: CsrfTokens;
  resets: PasswordResetService;
  captchas: CaptchaService;
  rateLimiter: RateLimiter;
  /** Whether the OP sign-in `uid` still waits (oidc-provider's Interaction.find). */
  signInWaiting(uid: string): Promise<boolean>;
}

const CAPTCHAS_PER_MINUTE = 30;

const actorOf = (ctx: Context): ResetActor => ({ ip: ctx.ip, requestId: ctx.state.requestId });
const flowUrl = (flow: PasswordResetFlow) => `/recovery/reset/${flow.id}`;
const restartUrl = (returnTo: string | null | undefined) => `/recovery/reset${returnQuery(returnTo ?? undefined)}`;
const wantsHtml = (ctx: Context) => ctx.accepts('html', 'json') === 'html';

/** Refusals of the flow itself are pages of their own, never a form shown again. */
function isFlowRefusal(error: unknown): boolean {
  return error instanceof ResetFlowGone || error instanceof ResetStepRefused;
}

/**
 * 登录名重置密码 over HTTP: `GET /recovery/reset` starts a flow and `/recovery/reset/:id` shows its
 * current step (password-reset-flow.ts). Forms work without JavaScript; with it, 获取验证码 and 换一张
 * stay on the page (register.js posts the code request to `/recovery/reset/:id/code`).
 */
export function passwordResetRoutes(deps: PasswordResetDeps): Router {
  const { chrome, csrf, resets, captchas, rateLimiter } = deps;
  const router = new Router({ prefix: '/recovery/reset' });
  router.use(bodyParser({ enableTypes: ['form', 'json'], formLimit: '16kb', jsonLimit: '8kb' }));

  // A flow that is gone or a step out of order: a page saying so, with the way to go on or start again.
  router.use(async (ctx: Context, next: Next) => {
    try {
      await next();
    } catch (error) {
      if (!isFlowRefusal(error) || !wantsHtml(ctx)) throw error;
      const refusal = error as ResetFlowGone | ResetStepRefused;
      const flow = refusal instanceof ResetStepRefused ? refusal.flow : undefined;
      renderPage(
        ctx,
        chrome,
        'recovery/flow-error',
        {
          message: ctx.state.t(refusal.code),
          continueUrl: flow ? flowUrl(flow) : undefined,
          continueLabel: flow?.state === 'done' ? 'recovery.view_result' : 'recovery.continue_flow',
          restartUrl: restartUrl(flow?.returnTo ?? safeReturnPath(ctx.query.return_to)),
        },
        refusal.status,
      );
    }
  });

  async function load(ctx: Context & { params: Record<string, string | undefined> }) {
    return resets.load(ctx.params.id ?? '', browserId(ctx));
  }

  async function renderLookup(ctx: Context, flow: PasswordResetFlow, loginName = '', notes: FieldNotes = {}, status = 200, summary?: string) {
    renderPage(
      ctx,
      chrome,
      'recovery/reset-lookup',
      {
        loginName,
        ui: fieldMarkup(notes),
        summary,
        captcha: await captchas.create(RESET_CAPTCHA_PURPOSE),
        csrf: ctx.state.csrfToken,
        action: `${flowUrl(flow)}/lookup`,
        pageUrl: flowUrl(flow),
        backUrl: `/recovery${returnQuery(flow.returnTo ?? undefined)}`,
        scripts: ['/assets/login.js'],
      },
      status,
    );
  }

  async function renderVerify(ctx: Context, flow: PasswordResetFlow, form: Partial<ResetForm> = {}, notes: FieldNotes = {}, status = 200, summary?: string) {
    renderPage(
      ctx,
      chrome,
      'recovery/reset-verify',
      {
        kind: flow.context.kind ?? 'natural',
        loginName: flow.context.loginName ?? '',
        // Passwords are never sent back.
        form: { ...form, password: '', confirmPassword: '' },
        ui: fieldMarkup(notes),
        summary,
        captcha: await captchas.create(SMS_CAPTCHA_PURPOSE),
        csrf: ctx.state.csrfToken,
        action: `${flowUrl(flow)}/verify`,
        pageUrl: flowUrl(flow),
        codeUrl: `${flowUrl(flow)}/code`,
        restartUrl: restartUrl(flow.returnTo),
        scripts: ['/assets/register.js'],
      },
      status,
    );
  }

  /** Where 确定并跳转至政务服务平台 leads: the sign-in the user came from while it waits, else the portal. */
  async function continueUrl(flow: PasswordResetFlow): Promise<string> {
    const portal = `/portal/login?login_type=${flow.context.kind ?? 'natural'}`;
    if (!flow.returnTo) return portal;
    const signIn = interactionPath(flow.returnTo);
    if (!signIn) return flow.returnTo;
    return (await deps.signInWaiting(signIn.slice('/interaction/'.length))) ? signIn : portal;
  }

  /** A refused form's notes, status and summary (refusedForm); the flow's own refusals are pages. */
  function refused(ctx: Context, error: unknown) {
    if (isFlowRefusal(error)) throw error;
    return refusedForm(error, ctx);
  }

  router.get('/', async (ctx) => {
    const returnTo = safeReturnPath(ctx.query.return_to) ?? null;
    const browser = browserId(ctx);
    if (!browser) {
      // The flow is bound to the browser's cookie: set it, and come back once with it.
      if (ctx.query.cookie === '1') throw new DomainError('recovery.error.cookies', 400);
      void ctx.state.csrfToken;
      const query = new URLSearchParams({ cookie: '1', ...(returnTo ? { return_to: returnTo } : {}) });
      ctx.status = 303;
      return ctx.redirect(`/recovery/reset?${query}`);
    }
    const id = await resets.start(browser, returnTo, actorOf(ctx));
    ctx.status = 303;
    ctx.redirect(`/recovery/reset/${id}`);
  });

  /** A new step 1 captcha for 换一张 (JSON), limited per address. */
  router.get('/captcha', async (ctx) => {
    await rateLimiter.enforce(`captcha-recovery:${ctx.ip}`, CAPTCHAS_PER_MINUTE, 60);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await captchas.create(RESET_CAPTCHA_PURPOSE);
  });

  router.get('/:id', async (ctx) => {
    const flow = await load(ctx);
    if (flow.state === 'lookup') return renderLookup(ctx, flow);
    if (flow.state === 'verify') return renderVerify(ctx, flow);
    renderPage(ctx, chrome, 'recovery/reset-done', { loginName: flow.context.loginName ?? '', continueUrl: await continueUrl(flow) });
  });

  router.post('/:id/lookup', async (ctx) => {
    requireCsrf(ctx, csrf);
    const flow = await load(ctx);
    const input = readTextFields(ctx, ['loginName', 'captchaId', 'captcha'] as const);
    try {
      await resets.lookUp(flow, input, actorOf(ctx));
      ctx.status = 303;
      ctx.redirect(flowUrl(flow));
    } catch (error) {
      const { notes, status, summary } = refused(ctx, error);
      return renderLookup(ctx, flow, input.loginName, notes, status, summary);
    }
  });

  // The step 2 form: 获取验证码 without JavaScript (action=send_sms), or 确定.
  router.post('/:id/verify', async (ctx) => {
    requireCsrf(ctx, csrf);
    const flow = await load(ctx);
    const form = readTextFields(ctx, [...RESET_FIELDS, 'captchaId', 'captcha'] as const);
    try {
      if ((ctx.request.body as Record<string, unknown>).action === 'send_sms') {
        const { resendAfterSeconds } = await resets.sendCode(flow, form, actorOf(ctx));
        const sent = ctx.state.t('recovery.reset.code_sent', { seconds: resendAfterSeconds });
        return await renderVerify(ctx, flow, form, { smsCode: { kind: 'ok', text: sent } });
      }
      await resets.reset(flow, form, actorOf(ctx));
      ctx.status = 303;
      ctx.redirect(flowUrl(flow));
    } catch (error) {
      const { notes, status, summary } = refused(ctx, error);
      return renderVerify(ctx, flow, form, notes, status, summary);
    }
  });

  // 获取验证码 in place (register.js): JSON in, JSON out, errors as the error handler's JSON.
  router.post('/:id/code', async (ctx) => {
    requireCsrf(ctx, csrf);
    const flow = await load(ctx);
    const input = readTextFields(ctx, ['mobile', 'captchaId', 'captcha'] as const);
    const { resendAfterSeconds } = await resets.sendCode(flow, input, actorOf(ctx));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { resend_after_seconds: resendAfterSeconds };
  });

  return router;
}
