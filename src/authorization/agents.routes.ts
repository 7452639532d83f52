import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware } from 'koa';
import { type Account, isRealNameSettled } from '../accounts/account.types.js';
import { DomainError, RateLimitedError, ValidationError } from '../errors.js';
import { renderPage, type PageChrome } from '../http/render.js';
import type { Locale, Translate } from '../i18n/index.js';
import { SMS_CAPTCHA_PURPOSE } from '../notify/sms.routes.js';
import { requirePortalLogin } from '../portal/portal-auth.routes.js';
import { requireCsrf } from '../security/browser-csrf.js';
import type { CaptchaService } from '../security/captcha.service.js';
import type { CsrfTokens } from '../security/csrf.js';
import { maskMobile, maskName } from '../security/pii-crypto.js';
import type { AgentListing } from './entity-authorization.repository.js';
import type { AgentForm, EntityAuthorizationService } from './entity-authorization.service.js';

export interface AgentsRouteDeps {
  authorizations: EntityAuthorizationService;
  captchas: CaptchaService;
  csrf: CsrfTokens;
  chrome: PageChrome;
  /** Loads ctx.state.portal (see portalSession). */
  portalSessionMiddleware: Middleware;
}

const AGENTS = '/portal/me/agents';
const ENTITIES = '/portal/me/entities';
const SAVED = ['granted', 'revoked'];

type FormValues = AgentForm & { smsCode: string };

interface FormState {
  values?: FormValues;
  errors?: Record<string, string>;
  /** A success note for the form (the code was sent). */
  note?: string;
}

const EMPTY_FORM: FormValues = { loginName: '', name: '', scope: '', systems: [], smsCode: '' };

/** The day in Beijing, as the platform's users count days. */
const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' });

function readForm(ctx: Context): FormValues {
  const body = (ctx.request.body ?? {}) as Record<string, unknown>;
  const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string).slice(0, 100) : '');
  // One ticked box arrives as a string, several as an array.
  const raw = body.systems;
  const systems = (Array.isArray(raw) ? raw : [raw]).filter((value): value is string => typeof value === 'string' && value !== '').slice(0, 50);
  return { loginName: text('loginName'), name: text('name'), scope: text('scope'), systems, smsCode: text('smsCode') };
}

const actorOf = (ctx: Context, account: Account) => ({ type: 'account' as const, id: account.id, ip: ctx.ip, requestId: ctx.state.requestId });

/**
 * 授权代办人 (`/portal/me/agents`): a legal account adds, lists and revokes its agents. 我代办的单位
 * (`/portal/me/entities`): a natural account sees the units that authorized it.
 */
export function agentsRoutes(deps: AgentsRouteDeps): Router {
  const { authorizations, captchas, csrf, chrome } = deps;
  const router = new Router({ prefix: '/portal/me' });
  router.use(deps.portalSessionMiddleware);
  router.use(requirePortalLogin());
  router.use(bodyParser({ enableTypes: ['form'], formLimit: '16kb' }));

  const systemNames = (locale: Locale) => new Map(authorizations.businessSystems().map((system) => [system.clientId, system.name[locale]]));
  /**
   * Names in the order of the clients file; a system no longer configured is shown by its client id
   * (last) rather than dropped from view.
   */
  const namesOf = (systems: string[] | 'all', names: Map<string, string>) => {
    if (systems === 'all') return 'all';
    const configured = [...names.keys()].filter((id) => systems.includes(id)).map((id) => names.get(id)!);
    return [...configured, ...systems.filter((id) => !names.has(id))];
  };

  function agentView(listing: AgentListing, names: Map<string, string>) {
    return {
      id: listing.id,
      loginName: listing.agentLoginName,
      nameMasked: maskName(listing.agentName),
      systems: namesOf(listing.systems, names),
      grantedAt: day.format(listing.grantedAt),
      status: listing.effective ? 'effective' : listing.agentDisabled ? 'agent_disabled' : 'waiting',
    };
  }

  async function render(ctx: Context, state: FormState = {}, status = 200) {
    const entity = ctx.state.portal.account as Account;
    const locale = ctx.state.locale as Locale;
    const names = systemNames(locale);
    const canAuthorize = authorizations.canAuthorize(entity);
    renderPage(
      ctx,
      chrome,
      'portal/agents',
      {
        account: entity,
        canAuthorize,
        mobileMasked: maskMobile(entity.mobile),
        systems: [...names].map(([clientId, name]) => ({ clientId, name })),
        agents: (await authorizations.listForEntity(entity)).map((listing) => agentView(listing, names)),
        form: state.values ?? EMPTY_FORM,
        errors: state.errors ?? {},
        note: state.note,
        captcha: canAuthorize ? await captchas.create(SMS_CAPTCHA_PURPOSE) : undefined,
        saved: typeof ctx.query.saved === 'string' && SAVED.includes(ctx.query.saved) ? ctx.query.saved : undefined,
        csrf: ctx.state.csrfToken,
      },
      status,
    );
  }

  router.get('/agents', async (ctx) => {
    if ((ctx.state.portal.account as Account).kind !== 'legal') return ctx.redirect(ENTITIES);
    await render(ctx);
  });

  /** 获取验证码 (action=send_code) or 确认授权: the form stays filled in whatever goes wrong. */
  router.post('/agents', async (ctx) => {
    requireCsrf(ctx, csrf);
    const entity = ctx.state.portal.account as Account;
    if (entity.kind !== 'legal') throw new DomainError('authorizations.error.legal_only', 403);
    const values = readForm(ctx);
    const body = ctx.request.body as Record<string, unknown>;
    const t = ctx.state.t as Translate;
    try {
      if (body.action === 'send_code') {
        // The form is checked before the captcha is spent on a request that would fail anyway.
        authorizations.checkForm(entity, values);
        const captcha = typeof body.captcha === 'string' ? body.captcha : '';
        if (!captcha.trim()) throw new ValidationError({ captcha: 'login.error.captcha_required' });
        if (!(await captchas.verify(typeof body.captchaId === 'string' ? body.captchaId : '', SMS_CAPTCHA_PURPOSE, captcha))) {
          throw new ValidationError({ captcha: 'login.error.captcha_wrong' });
        }
        const { mobileMasked } = await authorizations.sendCode(entity, values, actorOf(ctx, entity));
        return await render(ctx, { values, note: t('authorizations.code_sent', { mobile: mobileMasked }) });
      }
      await authorizations.grant(entity, values, actorOf(ctx, entity));
      ctx.status = 303;
      ctx.redirect(`${AGENTS}?saved=granted`);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      if (error instanceof RateLimitedError) ctx.set('Retry-After', String(error.retryAfterSeconds));
      const errors = error.fieldMessages(t);
      await render(ctx, { values, errors: Object.keys(errors).length ? errors : { form: t(error.code, error.params) } }, error.status);
    }
  });

  /** The confirmation step of 撤销授权, naming the agent. */
  router.get('/agents/:id/revoke', async (ctx) => {
    const entity = ctx.state.portal.account as Account;
    const listing = await authorizations.findForEntity(entity, ctx.params.id!);
    renderPage(ctx, chrome, 'portal/agent-revoke', {
      agent: agentView(listing, systemNames(ctx.state.locale as Locale)),
      csrf: ctx.state.csrfToken,
    });
  });

  router.post('/agents/:id/revoke', async (ctx) => {
    requireCsrf(ctx, csrf);
    const entity = ctx.state.portal.account as Account;
    await authorizations.revoke(entity, ctx.params.id!, actorOf(ctx, entity));
    ctx.status = 303;
    ctx.redirect(`${AGENTS}?saved=revoked`);
  });

  router.get('/entities', async (ctx) => {
    const agent = ctx.state.portal.account as Account;
    if (agent.kind !== 'natural') return ctx.redirect(AGENTS);
    const names = systemNames(ctx.state.locale as Locale);
    const entities = await authorizations.listForAgent(agent);
    renderPage(ctx, chrome, 'portal/entities', {
      account: agent,
      verified: isRealNameSettled(agent.realNameStatus),
      entities: entities.map((listing) => ({
        orgName: listing.orgName,
        systems: namesOf(listing.systems, names),
        grantedAt: day.format(listing.grantedAt),
        effective: listing.effective,
      })),
    });
  });

  return router;
}
