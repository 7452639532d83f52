import crypto from 'node:crypto';
import type { Context, Next } from 'koa';
import { DomainError } from '../errors.js';
import type { CsrfTokens } from './csrf.js';

const COOKIE = 'csrf_id';
const ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/**
 * CSRF protection for our own forms outside an OIDC interaction (registration, recovery, My
 * Information, ...): a random id in a cookie the attacker's page cannot read, and a token derived
 * from it in every form (`csrf` field) or fetch (`x-csrf-token` header).
 *
 * `ctx.state.csrfToken` gives the token for templates; the cookie is set the first time a page asks
 * for one, so API endpoints never carry it.
 */
export function browserCsrf(tokens: CsrfTokens, production: boolean) {
  return async (ctx: Context, next: Next) => {
    let token: string | undefined;
    Object.defineProperty(ctx.state, 'csrfToken', {
      configurable: true,
      get() {
        if (token) return token;
        let id = ctx.cookies.get(COOKIE, { signed: false });
        if (!id || !ID_PATTERN.test(id)) {
          id = crypto.randomBytes(16).toString('base64url');
          ctx.cookies.set(COOKIE, id, { httpOnly: true, sameSite: 'lax', secure: production, signed: false, overwrite: true });
        }
        token = tokens.issue(`browser:${id}`);
        return token;
      },
    });
    await next();
  };
}

/** This browser's random id (from the CSRF cookie), to bind a flow to the browser that started it. */
export function browserId(ctx: Context): string | undefined {
  const id = ctx.cookies.get(COOKIE, { signed: false });
  return id && ID_PATTERN.test(id) ? id : undefined;
}

/** Throws 403 unless the request carries the token of this browser's CSRF cookie. */
export function requireCsrf(ctx: Context, tokens: CsrfTokens): void {
  const id = ctx.cookies.get(COOKIE, { signed: false });
  const given = (ctx.request.body as Record<string, unknown> | undefined)?.csrf ?? ctx.get('x-csrf-token');
  if (!id || !ID_PATTERN.test(id) || !tokens.verify(`browser:${id}`, given)) throw new DomainError('error.csrf', 403);
}
