import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Context, Next } from 'koa';
import * as oidc from 'openid-client';
import type { AccountRepository } from '../accounts/account.repository.js';
import { DomainError } from '../errors.js';
import type { Logger } from '../logger.js';
import { requireCsrf } from '../security/browser-csrf.js';
import type { CsrfTokens } from '../security/csrf.js';
import type { Settings } from '../settings.js';
import type { PortalClient } from './portal-client.js';
import type { PortalSessionRepository } from './portal-session.repository.js';

const SESSION_COOKIE = 'portal_session';
const AUTH_COOKIE = 'portal_auth';
const SCOPES = 'openid profile phone email real_name org';
const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

export interface PortalAuthDeps {
  settings: Settings;
  portal: PortalClient;
  sessions: PortalSessionRepository;
  accounts: AccountRepository;
  csrf: CsrfTokens;
  logger: Logger;
}

/** Only paths on this site: an open redirect would turn sign-in into a phishing tool. */
function safeReturnTo(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])/.test(value) ? value : '/portal/me';
}

/**
 * The portal's OIDC client (openid-client, as any business system would use). The token and JWKS
 * endpoints are reached at OP_INTERNAL_URL, which is the issuer unless the deployment says otherwise.
 */
function clientConfiguration(settings: Settings, portal: PortalClient): oidc.Configuration {
  const { issuer, opInternalUrl } = settings;
  const config = new oidc.Configuration(
    {
      issuer,
      authorization_endpoint: `${issuer}/auth`,
      token_endpoint: `${opInternalUrl}/token`,
      jwks_uri: `${opInternalUrl}/jwks`,
      end_session_endpoint: `${issuer}/session/end`,
      id_token_signing_alg_values_supported: ['RS256'],
    },
    portal.clientId,
    portal.clientSecret,
  );
  if (!opInternalUrl.startsWith('https://')) oidc.allowInsecureRequests(config);
  return config;
}

/** Loads the signed-in portal account, if any, into ctx.state.portal. */
export function portalSession(sessions: PortalSessionRepository, accounts: AccountRepository) {
  return async (ctx: Context, next: Next) => {
    const id = ctx.cookies.get(SESSION_COOKIE, { signed: false });
    if (id) {
      const session = await sessions.find(id);
      const account = session && (await accounts.findById(session.accountId));
      if (session && account && account.status !== 'disabled') ctx.state.portal = { sessionId: id, account, idToken: session.idToken };
    }
    await next();
  };
}

/** Sends a visitor who is not signed in to the portal's sign-in, coming back here afterwards. */
export function requirePortalLogin() {
  return async (ctx: Context, next: Next) => {
    if (ctx.state.portal) return next();
    ctx.redirect(`/portal/login?return_to=${encodeURIComponent(ctx.originalUrl)}`);
  };
}

export function portalAuthRoutes(deps: PortalAuthDeps): Router {
  const { settings, portal, sessions, csrf, logger } = deps;
  const withPortalSession = portalSession(sessions, deps.accounts);
  const config = clientConfiguration(settings, portal);
  const jwks = createRemoteJWKSet(new URL(`${settings.opInternalUrl}/jwks`));
  const cookieOptions = { httpOnly: true, sameSite: 'lax' as const, secure: settings.production };
  const router = new Router({ prefix: '/portal' });

  router.get('/login', async (ctx) => {
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const returnTo = safeReturnTo(ctx.query.return_to);
    ctx.cookies.set(AUTH_COOKIE, Buffer.from(JSON.stringify({ state, codeVerifier, returnTo })).toString('base64url'), {
      ...cookieOptions,
      signed: true,
      maxAge: settings.ttl.interaction * 1000,
    });
    const loginType = ctx.query.login_type === 'legal' || ctx.query.login_type === 'natural' ? ctx.query.login_type : undefined;
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: portal.redirectUri,
      scope: SCOPES,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      ui_locales: ctx.state.locale,
      ...(loginType ? { login_type: loginType } : {}),
    });
    ctx.redirect(url.href);
  });

  router.get('/callback', async (ctx) => {
    const raw = ctx.cookies.get(AUTH_COOKIE, { signed: true });
    ctx.cookies.set(AUTH_COOKIE, null, { ...cookieOptions, signed: true });
    if (!raw) throw new DomainError('error.session_expired', 400);
    const pending = JSON.parse(Buffer.from(raw, 'base64url').toString()) as { state: string; codeVerifier: string; returnTo: string };
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      // The URL the OP redirected to, as registered (the issuer's host, whatever proxy is in between).
      const callbackUrl = new URL(`${portal.redirectUri}${ctx.search}`);
      tokens = await oidc.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: pending.codeVerifier, expectedState: pending.state });
    } catch (error) {
      if (error instanceof oidc.AuthorizationResponseError && error.error === 'access_denied') throw new DomainError('error.oidc.access_denied', 400);
      logger.warn({ err: error }, 'portal sign-in failed');
      throw new DomainError('error.session_expired', 400);
    }
    const claims = tokens.claims()!;
    const sessionId = await sessions.create({
      accountId: claims.sub,
      opSid: typeof claims.sid === 'string' ? claims.sid : undefined,
      idToken: tokens.id_token!,
      ttlSeconds: settings.ttl.session,
    });
    ctx.cookies.set(SESSION_COOKIE, sessionId, { ...cookieOptions, signed: false, maxAge: settings.ttl.session * 1000 });
    ctx.redirect(safeReturnTo(pending.returnTo));
  });

  router.post('/logout', bodyParser({ enableTypes: ['form'], formLimit: '8kb' }), withPortalSession, async (ctx) => {
    requireCsrf(ctx, csrf);
    const current = ctx.state.portal as { sessionId: string; idToken: string } | undefined;
    ctx.cookies.set(SESSION_COOKIE, null, cookieOptions);
    if (!current) return ctx.redirect('/');
    await sessions.delete(current.sessionId);
    // End the OP session too: signing out of the platform signs out of every business system.
    ctx.redirect(
      oidc.buildEndSessionUrl(config, { id_token_hint: current.idToken, post_logout_redirect_uri: portal.postLogoutRedirectUri }).href,
    );
  });

  router.post('/backchannel-logout', bodyParser({ enableTypes: ['form'], formLimit: '16kb' }), async (ctx) => {
    const token = (ctx.request.body as Record<string, unknown>)?.logout_token;
    try {
      if (typeof token !== 'string') throw new Error('no logout_token');
      const { payload } = await jwtVerify(token, jwks, { issuer: settings.issuer, audience: portal.clientId, maxTokenAge: '5m' });
      const events = payload.events as Record<string, unknown> | undefined;
      if (!events || !(BACKCHANNEL_EVENT in events) || 'nonce' in payload || !payload.sub) throw new Error('not a logout token');
      await sessions.deleteByOpSession(typeof payload.sid === 'string' ? payload.sid : undefined, payload.sub);
      ctx.set('Cache-Control', 'no-store');
      ctx.status = 200;
    } catch (error) {
      logger.warn({ err: error }, 'portal back-channel logout refused');
      ctx.status = 400;
      ctx.body = { error: 'invalid_request' };
    }
  });

  return router;
}
