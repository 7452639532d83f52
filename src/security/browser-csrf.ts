import crypto from 'node:crypto';
import type { Context, Next } from 'koa';
import { DomainError } from '../errors.js';
import type { CsrfTokens } from './csrf.js';

const COOKIE = 'csrf_id';

/**
 * CSRF protection for our own forms outside an OIDC interaction (registration, recovery, My
 * Information, ...): a random id in a cookie the attacker's page cannot read, and a token derived
 * from it in every form (`csrf` field) or fetch (`x-csrf-token` header). `ctx.state.csrfToken` holds
 * the token for templates.
 */
export function browserCsrf(tokens: CsrfTokens, production: boolean) {
  return async (ctx: Context, next: Next) => {
    let id = ctx.cookies.get(COOKIE, { signed: false });
    if (!id || !/^[A-Za-z0-9_-]{22}$/.test(id)) {
      id = crypto.randomBytes(16).toString('base64url');
      ctx.cookies.set(COOKIE, id, { httpOnly: true, sameSite: 'lax', secure: production, signed: false, overwrite: true });
    }
    ctx.state.csrfToken = tokens.issue(`browser:${id}`);
    ctx.state.csrfBinding = `browser:${id}`;
    await next();
  };
}

/** Throws 403 unless the request carries the token of this browser's CSRF cookie. */
export function requireCsrf(ctx: Context, tokens: CsrfTokens): void {
  const given = (ctx.request.body as Record<string, unknown> | undefined)?.csrf ?? ctx.get('x-csrf-token');
  if (!ctx.state.csrfBinding || !tokens.verify(ctx.state.csrfBinding as string, given)) {
    throw new DomainError('error.csrf', 403);
  }
}
