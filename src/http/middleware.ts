import crypto from 'node:crypto';
import type { Context, Next } from 'koa';
import { errors as oidcErrors } from 'oidc-provider';
import { DomainError, NotFoundError, RateLimitedError } from '../errors.js';
import { DEFAULT_LOCALE, isLocale, translator, type Locale } from '../i18n/index.js';
import type { Logger } from '../logger.js';
import { renderPage, type PageChrome } from './render.js';

/**
 * Request id and one log line per request. The query string is never logged: it may hold codes.
 *
 * The line's fields are fixed and hold no secret (the path has no query string; the id is checked
 * against a pattern), so it is written through a child logger without the redaction paths: pino's
 * redaction walks every wildcard path on every call, about 7 µs of a request at LOG_LEVEL=info
 * (scratch measurement: 9.1 µs per line with redaction, 1.8 µs without). Every other log call keeps
 * the redaction.
 */
export function requestLogging(logger: Logger) {
  const requestLog = logger.child({}, { redact: [] });
  return async (ctx: Context, next: Next) => {
    const given = ctx.get('x-request-id');
    const requestId = /^[A-Za-z0-9-]{8,64}$/.test(given) ? given : crypto.randomUUID();
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      requestLog.info({ requestId, method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms) }, 'request');
    }
  };
}

const wantsJson = (ctx: Context) => ctx.accepts('html', 'json') === 'json';

/**
 * The one error handler: domain errors become a page (or JSON) with their status and message in the
 * user's language; anything else is a 500 with a request id, logged as the bug it is. With `json`
 * (oidc-provider's machine endpoints, which have no page stack around them) the answer is always JSON.
 */
export function errorHandler(logger: Logger, chrome: PageChrome, options: { json?: boolean } = {}) {
  const answerJson = options.json ? () => true : wantsJson;
  return async (ctx: Context, next: Next) => {
    try {
      await next();
      // Nothing (not even oidc-provider, mounted last) answered: our page, not a bare "Not Found".
      if (ctx.status === 404 && ctx.body == null) throw new NotFoundError();
    } catch (caught) {
      const t = ctx.state.t ?? translator(DEFAULT_LOCALE);
      let error: DomainError;
      if (caught instanceof DomainError) error = caught;
      else if (caught instanceof oidcErrors.SessionNotFound) error = new DomainError('error.session_expired', 400);
      else if ((caught as { status?: number }).status === 413 || (caught as { status?: number }).status === 415 || (caught as { type?: string }).type === 'entity.parse.failed') {
        error = new DomainError('error.validation', (caught as { status?: number }).status ?? 400);
      } else {
        logger.error({ err: caught, requestId: ctx.state.requestId }, 'unhandled error');
        error = new DomainError('error.internal', 500, {}, { requestId: ctx.state.requestId });
      }
      if (error instanceof RateLimitedError) ctx.set('Retry-After', String(error.retryAfterSeconds));
      const fields = error.fieldMessages(t);
      if (answerJson(ctx)) {
        ctx.status = error.status;
        ctx.body = { error: error.code, error_description: t(error.code, error.params), fields };
      } else {
        renderPage(ctx, chrome, 'error', { message: t(error.code, { requestId: ctx.state.requestId, ...error.params }), code: error.code }, error.status);
      }
    }
  };
}

/** Headers every page gets. form-action stays open: Chrome applies it to the redirect back to the RP. */
export function securityHeaders(production: boolean) {
  const csp = [
    "default-src 'self'",
    "img-src 'self' data:",
    "style-src 'self'",
    "script-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
  ].join('; ');
  return async (ctx: Context, next: Next) => {
    // Set before the downstream runs: oidc-provider adds the hash of its one inline script (the
    // form that ends the old session when another account signs in, in the same sign-in) to
    // script-src, and that addition must survive.
    ctx.set('Content-Security-Policy', csp);
    await next();
    if (!ctx.response.get('Content-Security-Policy')) ctx.set('Content-Security-Policy', csp);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Referrer-Policy', 'no-referrer');
    if (production) ctx.set('Strict-Transport-Security', 'max-age=31536000');
  };
}

/**
 * The headers of oidc-provider's machine endpoints (JSON for relying parties, see app.ts): no page,
 * so no CSP, frame or referrer rules; `nosniff` and HSTS concern every response. Cache-Control is
 * left as oidc-provider sets it (no-store on the token, userinfo and PAR answers).
 */
export function machineHeaders(production: boolean) {
  return (ctx: Context, next: Next) => {
    ctx.set('X-Content-Type-Options', 'nosniff');
    if (production) ctx.set('Strict-Transport-Security', 'max-age=31536000');
    return next();
  };
}

/** zh-CN unless the user chose otherwise (?lang= sets a cookie that later pages honour). */
export function localeSelection(production: boolean) {
  return async (ctx: Context, next: Next) => {
    const fromQuery = ctx.query.lang;
    let locale: Locale | undefined;
    if (isLocale(fromQuery)) {
      locale = fromQuery;
      ctx.cookies.set('lang', fromQuery, { httpOnly: true, sameSite: 'lax', secure: production, maxAge: 365 * 86400_000, signed: false });
    } else {
      const fromCookie = ctx.cookies.get('lang', { signed: false });
      if (isLocale(fromCookie)) locale = fromCookie;
    }
    ctx.state.localeChosen = Boolean(locale);
    ctx.state.locale = locale ?? DEFAULT_LOCALE;
    Object.defineProperty(ctx.state, 't', { get: () => translator(ctx.state.locale), configurable: true });
    await next();
  };
}
