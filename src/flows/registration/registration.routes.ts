import Router from '@koa/router';
import { renderPage, type PageChrome } from '../../http/render.js';
import type { MessageKey } from '../../i18n/index.js';
import { returnQuery, safeReturnPath } from './return-to.js';

export interface RegistrationDeps {
  chrome: PageChrome;
}

const AGREEMENTS: Record<'natural' | 'legal', { heading: MessageKey; items: MessageKey[] }> = {
  natural: {
    heading: 'register.agreement_natural',
    items: ['agreement.natural1', 'agreement.natural2', 'agreement.natural3', 'agreement.natural4'],
  },
  legal: {
    heading: 'legal_register.agreement',
    items: ['agreement.legal1', 'agreement.legal2', 'agreement.legal3', 'agreement.legal4', 'agreement.legal5', 'agreement.legal6'],
  },
};

/** 注册备案系统介绍 and the two agreements (《自然人实名认证协议》, 《法人实名认证协议》). */
export function registrationRoutes(deps: RegistrationDeps): Router {
  const router = new Router({ prefix: '/register' });

  router.get('/', (ctx) => {
    const returnTo = safeReturnPath(ctx.query.return_to);
    renderPage(ctx, deps.chrome, 'register/index', { returnTo, returnQuery: returnQuery(returnTo) });
  });

  router.get('/agreement/natural', (ctx) => renderPage(ctx, deps.chrome, 'register/agreement', AGREEMENTS.natural));
  router.get('/agreement/legal', (ctx) => renderPage(ctx, deps.chrome, 'register/agreement', AGREEMENTS.legal));

  return router;
}
