import Router from '@koa/router';
import { renderPage, type PageChrome } from '../../http/render.js';
import { returnQuery, safeReturnPath } from '../registration/return-to.js';

/**
 * 忘记密码 (SPEC §7): the ways to recover an account, each with when to use it, and the FAQ answer
 * on a wrong password. `return_to` (the sign-in the user came from) goes along to every way.
 * The appeals and their case status live under /recovery/appeal (their own routes).
 */
export function recoveryRoutes(deps: { chrome: PageChrome }): Router {
  const router = new Router();
  router.get('/recovery', (ctx) => {
    const returnTo = safeReturnPath(ctx.query.return_to);
    renderPage(ctx, deps.chrome, 'recovery/index', { returnTo, returnQuery: returnQuery(returnTo) });
  });
  return router;
}
