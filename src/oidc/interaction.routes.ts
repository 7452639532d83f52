import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import type { AccountKind } from '../accounts/account.types.js';
import { accessPages, type AccessPagesDeps, type InteractionKit } from '../access/access.routes.js';
import { DomainError, ValidationError } from '../errors.js';
import { ONE_TIME_CREDENTIAL_AMR } from '../flows/credential-login/change-password.policy.js';
import { newPasswordPages, type NewPasswordPagesDeps } from '../flows/credential-login/new-password.routes.js';
import { LOGIN_CAPTCHA_PURPOSE, LoginRefused, type LoginService } from '../flows/login/login.service.js';
import { renderPage, type PageChrome } from '../http/render.js';
import { matchLocale } from '../i18n/index.js';
import type { CaptchaService } from '../security/captcha.service.js';
import type { CsrfTokens } from '../security/csrf.js';
import type { RateLimiter } from '../security/rate-limiter.js';
import type { ClientRegistry } from './clients.js';
import type { ProviderHost } from './provider-host.js';

export interface InteractionDeps {
  providers: ProviderHost;
  clients: ClientRegistry;
  login: LoginService;
  captchas: CaptchaService;
  rateLimiter: RateLimiter;
  csrf: CsrfTokens;
  chrome: PageChrome;
  /** The pages of the business systems' access policies (real-name verification, entity choice). */
  access: Omit<AccessPagesDeps, 'clients'>;
  /** 设置新密码 after a sign-in with a one-time credential. */
  newPassword: Omit<NewPasswordPagesDeps, 'clients'>;
}

interface LoginForm {
  window: AccountKind;
  loginName: string;
  errors: Partial<Record<string, string>>;
  message?: string;
  captchaRequired: boolean;
  /** Another account is signing in from one of the access policy's pages (切换账号). */
  switching?: boolean;
}

const CAPTCHA_REFRESHES_PER_MINUTE = 30;

const isWindow = (value: unknown): value is AccountKind => value === 'natural' || value === 'legal';

/**
 * The OP's interaction pages: the login page with its two windows, consent for RPs that are not
 * first-party, 设置新密码 after a sign-in with a one-time credential (src/flows/credential-login/)
 * and the access policy's pages (src/access/). Each step ends with interactionResult, which hands
 * control back to oidc-provider.
 */
export function interactionRoutes(deps: InteractionDeps): Router {
  const { providers, clients, login, captchas, rateLimiter, csrf, chrome } = deps;
  const router = new Router({ prefix: '/interaction/:uid' });
  // Only our forms are parsed here: oidc-provider parses its own endpoints' bodies.
  router.use(bodyParser({ enableTypes: ['form'], formLimit: '32kb' }));

  async function details(ctx: Context) {
    const interaction = await providers.provider.interactionDetails(ctx.req, ctx.res);
    if (interaction.uid !== ctx.params.uid) throw new DomainError('error.session_expired', 400);
    // The RP may ask for a language with ui_locales; an explicit choice (lang cookie) wins.
    if (!ctx.state.localeChosen) {
      const requested = matchLocale(interaction.params.ui_locales as string | undefined);
      if (requested) ctx.state.locale = requested;
    }
    return interaction;
  }

  /**
   * `merge` keeps the results of the steps before (login, consent) with this one: oidc-provider asks
   * again for a prompt the RP requested (prompt=login, prompt=consent) unless its result is there.
   */
  async function finish(ctx: Context, result: Record<string, unknown>, merge = false) {
    const redirectTo = await providers.provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
    ctx.status = 303;
    ctx.redirect(redirectTo);
  }

  function requireCsrf(ctx: Context) {
    if (!csrf.verify(`interaction:${ctx.params.uid}`, (ctx.request.body as Record<string, unknown>)?.csrf)) {
      throw new DomainError('error.csrf', 403);
    }
  }

  const kit: InteractionKit = {
    details,
    finish: (ctx, result) => finish(ctx, result, true),
    requireCsrf,
    csrfToken: (uid) => csrf.issue(`interaction:${uid}`),
    chrome,
  };
  const access = accessPages({ ...deps.access, clients }, kit);
  const newPassword = newPasswordPages({ ...deps.newPassword, clients }, kit);
  /** The pages of our own prompts, after login; each can lead back to the login page (切换账号). */
  const stepPages = [newPassword, access];
  const stepFor = (prompt: string) => stepPages.find((pages) => pages.handles(prompt));

  async function renderLogin(ctx: Context, interaction: Awaited<ReturnType<typeof details>>, form: LoginForm, status = 200) {
    const clientId = interaction.params.client_id as string;
    const t = ctx.state.t;
    const notice = access.loginNotice(ctx, interaction);
    renderPage(
      ctx,
      chrome,
      'login',
      {
        uid: interaction.uid,
        csrf: csrf.issue(`interaction:${interaction.uid}`),
        clientName: clients.relyingParties.get(clientId)?.name[ctx.state.locale as 'zh-CN' | 'en'],
        form: { ...form, message: form.message, errors: form.errors },
        captcha: form.captchaRequired ? await captchas.create(LOGIN_CAPTCHA_PURPOSE) : null,
        policyNotice: notice.message,
        backUrl: form.switching ? `/interaction/${interaction.uid}` : undefined,
        t,
      },
      status,
    );
  }

  router.get('/', async (ctx) => {
    const interaction = await details(ctx);
    const queryWindow = ctx.query.window;
    // 切换账号 on one of those pages opens the login page (a window given) in the same sign-in.
    const switching = Boolean(stepFor(interaction.prompt.name)) && isWindow(queryWindow);
    if (interaction.prompt.name === 'login' || switching) {
      const requested = interaction.params.login_type;
      const preferred = access.loginNotice(ctx, interaction).window;
      const window = isWindow(queryWindow) ? queryWindow : isWindow(requested) ? requested : (preferred ?? 'natural');
      // ?captcha=1 is the no-JavaScript "show another captcha" link: the page keeps asking for one.
      const captchaRequired = ctx.query.captcha === '1';
      return renderLogin(ctx, interaction, { window, loginName: '', errors: {}, captchaRequired, switching });
    }
    if (interaction.prompt.name === 'consent') {
      const clientId = interaction.params.client_id as string;
      if (clients.relyingParties.get(clientId)?.firstParty) return finish(ctx, await grantConsent(interaction));
      return renderPage(ctx, chrome, 'consent', {
        uid: interaction.uid,
        csrf: csrf.issue(`interaction:${interaction.uid}`),
        clientName: clients.relyingParties.get(clientId)?.name[ctx.state.locale as 'zh-CN' | 'en'] ?? clientId,
        scopes: String(interaction.params.scope ?? 'openid').split(' '),
      });
    }
    const step = stepFor(interaction.prompt.name);
    if (step) return step.show(ctx, interaction);
    throw new DomainError('error.session_expired', 400);
  });

  /** A fresh login captcha for the page's "show another" button (JSON), limited per address. */
  router.get('/captcha', async (ctx) => {
    await details(ctx);
    const limit = await rateLimiter.hit(`captcha:${ctx.ip}`, CAPTCHA_REFRESHES_PER_MINUTE, 60);
    if (!limit.allowed) throw new DomainError('error.too_many_requests', 429);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await captchas.create(LOGIN_CAPTCHA_PURPOSE);
  });

  router.post('/login', async (ctx) => {
    const interaction = await details(ctx);
    requireCsrf(ctx);
    const switching = Boolean(stepFor(interaction.prompt.name));
    if (interaction.prompt.name !== 'login' && !switching) throw new DomainError('error.session_expired', 400);
    const body = ctx.request.body as Record<string, string | undefined>;
    const window: AccountKind = isWindow(body.window) ? body.window : 'natural';
    const loginName = String(body.loginName ?? '').slice(0, 200);
    try {
      const { accountId, method } = await login.authenticate({
        window,
        loginName,
        password: String(body.password ?? ''),
        captchaId: body.captchaId,
        captchaAnswer: body.captcha,
        ip: ctx.ip,
        requestId: ctx.state.requestId,
      });
      // ts: the time of authentication, kept when a later step hands this result back again (merge).
      // A one-time credential's amr holds the sign-in at the change_password prompt until a new password is set.
      const amr = method === 'one_time_credential' ? [ONE_TIME_CREDENTIAL_AMR] : ['pwd'];
      return await finish(ctx, { login: { accountId, amr, remember: true, ts: Math.floor(Date.now() / 1000) } });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const t = ctx.state.t;
      const errors = error.fieldMessages(t);
      const captchaRequired =
        error instanceof LoginRefused ? error.captchaRequired : await login.captchaRequiredFor(loginName);
      return renderLogin(
        ctx,
        interaction,
        {
          window,
          loginName,
          errors,
          message: error instanceof ValidationError ? undefined : t(error.code, error.params),
          captchaRequired,
          switching,
        },
        error.status,
      );
    }
  });

  async function grantConsent(interaction: Awaited<ReturnType<typeof details>>) {
    const { prompt, params, session } = interaction;
    const grant = interaction.grantId
      ? (await providers.provider.Grant.find(interaction.grantId))!
      : new providers.provider.Grant({ accountId: session!.accountId, clientId: params.client_id as string });
    const missing = prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    const grantId = await grant.save();
    return { consent: interaction.grantId ? {} : { grantId } };
  }

  router.post('/confirm', async (ctx) => {
    const interaction = await details(ctx);
    requireCsrf(ctx);
    if (interaction.prompt.name !== 'consent') throw new DomainError('error.session_expired', 400);
    await finish(ctx, await grantConsent(interaction));
  });

  router.post('/abort', async (ctx) => {
    const interaction = await details(ctx);
    requireCsrf(ctx);
    await finish(ctx, { error: 'access_denied', error_description: access.abortDescription(interaction) });
  });

  access.routes(router);
  newPassword.routes(router);

  return router;
}
