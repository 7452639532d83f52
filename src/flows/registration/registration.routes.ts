import Router from '@koa/router';
import { renderPage, type PageChrome } from '../../http/render.js';
import { returnQuery, safeReturnPath } from './return-to.js';

export interface RegistrationDeps {
  chrome: PageChrome;
}

/** 注册备案系统介绍 and the registration forms (natural persons here; legal entities follow). */
export function registrationRoutes(deps: RegistrationDeps): Router {
  const router = new Router({ prefix: '/register' });

  router.get('/', (ctx) => {
    const returnTo = safeReturnPath(ctx.query.return_to);
    renderPage(ctx, deps.chrome, 'register/index', { returnTo, returnQuery: returnQuery(returnTo) });
  });

  router.get('/agreement/natural', (ctx) => renderPage(ctx, deps.chrome, 'register/agreement'));

  return router;
}
