import Router from '@koa/router';
import type { AccountKind } from '../accounts/account.types.js';
import { renderPage, type PageChrome } from '../http/render.js';
import type { Locale } from '../i18n/index.js';
import type { ClientRegistry } from '../oidc/clients.js';
import { businessSystems } from './portal-client.js';
import { serviceItemsFor } from './service-items.js';

const KINDS: readonly AccountKind[] = ['legal', 'natural'];

/**
 * The public service items page: /services?user=legal|natural. The two kinds are links, not
 * script-driven tabs, so the page works without JavaScript and each list has its own address.
 */
export function serviceItemsRoutes(deps: { chrome: PageChrome; clients: ClientRegistry }): Router {
  const router = new Router();
  router.get('/services', (ctx) => {
    const requested = ctx.query.user;
    // The guide sends legal entities here first (常见问题 2); legal is the default list.
    const kind = KINDS.find((k) => k === requested) ?? 'legal';
    renderPage(ctx, deps.chrome, 'portal/services', {
      kind,
      kinds: KINDS,
      items: serviceItemsFor(kind, businessSystems(deps.clients), ctx.state.locale as Locale),
    });
  });
  return router;
}
