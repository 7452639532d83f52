import Router from '@koa/router';
import Koa from 'koa';
import { staticAssets } from './http/assets.js';
import { errorHandler, localeSelection, machineHeaders, requestLogging, securityHeaders } from './http/middleware.js';
import { renderPage, type PageChrome } from './http/render.js';
import { interactionRoutes } from './oidc/interaction.routes.js';
import { createProvider, machineEndpointPaths } from './oidc/provider.js';
import { ProviderHost } from './oidc/provider-host.js';
import { sharedSecret } from './security/app-secrets.js';
import type { AppContext } from './services.js';
import { CsrfTokens } from './security/csrf.js';
import { browserCsrf } from './security/browser-csrf.js';
import { myInformationRoutes } from './portal/my-information.routes.js';
import { portalAuthRoutes, portalSession } from './portal/portal-auth.routes.js';
import { businessSystems, registerPortalClient } from './portal/portal-client.js';
import { serviceItemsRoutes } from './portal/service-items.routes.js';
import { SignInReturn } from './portal/sign-in-return.js';
import { registrationRoutes } from './flows/registration/registration.routes.js';
import { naturalRegistrationRoutes } from './flows/registration/natural-registration.routes.js';
import { legalRegistrationRoutes } from './flows/registration/legal-registration.routes.js';
import { smsRoutes } from './notify/sms.routes.js';
import { consoleRoutes } from './review/console.routes.js';
import { agentsRoutes } from './authorization/agents.routes.js';
import { recoveryRoutes } from './flows/recovery/recovery.routes.js';
import { passwordResetRoutes } from './flows/recovery/password-reset.routes.js';
import { appealRoutes } from './flows/appeal/appeal.routes.js';
import { torchLookupRoutes } from './migration/torch/torch-lookup.routes.js';

export interface App {
  koa: Koa;
  /** The current oidc-provider; `providers.reload()` picks up rotated signing keys. */
  providers: ProviderHost;
}

/** The Koa app: our middleware and routes first, oidc-provider mounted last. */
export async function createApp(context: AppContext): Promise<App> {
  const { settings, logger, db, crypt, clients } = context;
  const chrome: PageChrome = { supportPhone: settings.supportPhone };

  const [jwks, cookieKey, csrfKey, portalSecret] = await Promise.all([
    context.signingKeys.load(),
    sharedSecret(db, crypt, 'cookie_key'),
    sharedSecret(db, crypt, 'csrf_key'),
    sharedSecret(db, crypt, 'portal_client_secret'),
  ]);
  const csrfTokens = new CsrfTokens(csrfKey);
  // Registered before the provider is built: the provider reads its clients once.
  const portal = registerPortalClient(clients, settings.issuer, portalSecret.toString('base64url'));
  const providers = new ProviderHost(
    (keys) =>
      createProvider({
        settings,
        db,
        accounts: context.accounts,
        clients,
        jwks: keys,
        cookieKeys: [cookieKey.toString('base64url')],
        logger,
        entityChoice: context.entityChoice,
      }),
    context.signingKeys,
    jwks,
  );

  /** Whether a business system's sign-in still waits in this interaction (pages that lead back to it). */
  const signInWaiting = async (uid: string) => Boolean(await providers.provider.Interaction.find(uid));

  const koa = new Koa({ proxy: settings.trustProxy });
  koa.keys = [cookieKey.toString('base64url')];
  koa.silent = true; // errors are logged by our error handler, with the request id

  const health = new Router();
  health.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  health.get('/readyz', async (ctx) => {
    try {
      await db.raw('select 1');
      ctx.body = { status: 'ok' };
    } catch (error) {
      logger.warn({ err: error }, 'database not reachable');
      ctx.status = 503;
      ctx.body = { status: 'unavailable' };
    }
  });

  // Only the portal's own pages look the portal session up: OP endpoints never pay for it.
  const withPortalSession = portalSession(context.portalSessions, context.accounts);
  const pages = new Router();
  pages.use(withPortalSession);
  pages.get('/', (ctx) => {
    const locale = ctx.state.locale as 'zh-CN' | 'en';
    renderPage(ctx, chrome, 'portal/home', {
      account: ctx.state.portal?.account,
      csrf: ctx.state.csrfToken,
      systems: businessSystems(clients).map((rp) => ({ name: rp.name[locale], description: rp.description?.[locale], entryUrl: rp.entryUrl })),
    });
  });

  pages.get('/help', (ctx) => renderPage(ctx, chrome, 'help'));
  const serviceItems = serviceItemsRoutes({ chrome, clients });

  const interactions = interactionRoutes({
    providers,
    clients,
    login: context.login,
    captchas: context.captchas,
    rateLimiter: context.rateLimiter,
    csrf: csrfTokens,
    chrome,
    access: {
      entityChoice: context.entityChoice,
      accounts: context.accounts,
      verification: context.verification,
      entityVerification: context.entityVerification,
      reviews: context.reviews,
      rateLimiter: context.rateLimiter,
    },
    newPassword: { accounts: context.accounts, newPasswords: context.newPasswords },
  });
  const portalAuth = portalAuthRoutes({ settings, portal, sessions: context.portalSessions, accounts: context.accounts, csrf: csrfTokens, logger });
  const registration = registrationRoutes({ chrome });
  const naturalRegistration = naturalRegistrationRoutes({
    chrome,
    csrf: csrfTokens,
    registration: context.naturalRegistration,
    flows: context.registrationFlows,
    accounts: context.accounts,
    captchas: context.captchas,
    rateLimiter: context.rateLimiter,
    smsCodes: context.smsCodes,
    verification: context.verification,
  });
  const legalRegistration = legalRegistrationRoutes({
    chrome,
    csrf: csrfTokens,
    registration: context.legalRegistration,
    flows: context.registrationFlows,
    accounts: context.accounts,
    captchas: context.captchas,
    rateLimiter: context.rateLimiter,
    smsCodes: context.smsCodes,
    entityVerification: context.entityVerification,
  });
  const myInformation = myInformationRoutes({
    profiles: context.profiles,
    portalSessions: context.portalSessions,
    verification: context.verification,
    upload: { db, uploads: context.uploads, reviews: context.reviews, rateLimiter: context.rateLimiter, csrf: csrfTokens },
    reviews: context.reviews,
    smsCodes: context.smsCodes,
    captchas: context.captchas,
    csrf: csrfTokens,
    chrome,
    portalSessionMiddleware: withPortalSession,
    legal: { legalProfiles: context.legalProfiles, entityVerification: context.entityVerification },
    signInReturn: new SignInReturn(signInWaiting, settings.ttl.interaction, settings.production),
  });
  const agents = agentsRoutes({
    authorizations: context.authorizationService,
    captchas: context.captchas,
    csrf: csrfTokens,
    chrome,
    portalSessionMiddleware: withPortalSession,
  });
  const recovery = recoveryRoutes({ chrome });
  const passwordReset = passwordResetRoutes({
    chrome,
    csrf: csrfTokens,
    resets: context.passwordResets,
    captchas: context.captchas,
    rateLimiter: context.rateLimiter,
    signInWaiting,
  });
  const sms = smsRoutes({
    smsCodes: context.smsCodes,
    outbox: context.smsOutbox,
    captchas: context.captchas,
    rateLimiter: context.rateLimiter,
    csrf: csrfTokens,
    chrome,
    production: settings.production,
  });

  const reviewConsole = consoleRoutes({
    operators: context.operators,
    sessions: context.operatorSessions,
    reviews: context.reviews,
    appeals: context.appealReviews,
    migrationReports: context.torchReport,
    audit: context.audit,
    csrf: csrfTokens,
    chrome,
    production: settings.production,
  });
  const appeals = appealRoutes({
    chrome,
    csrf: csrfTokens,
    appeals: context.appeals,
    uploads: context.uploads,
    captchas: context.captchas,
    rateLimiter: context.rateLimiter,
    smsCodes: context.smsCodes,
    clock: context.clock,
    production: settings.production,
  });
  const torchLookup = torchLookupRoutes({
    chrome,
    csrf: csrfTokens,
    lookups: context.torchLookups,
    captchas: context.captchas,
    rateLimiter: context.rateLimiter,
  });

  /*
   * Two ways through the app, one decision. oidc-provider's machine endpoints (discovery, JWKS,
   * token, revocation, userinfo, PAR: see machineEndpointPaths), asked by a client that does not
   * prefer HTML, go straight to the provider after the request id and log line: they never render a
   * page, so the page layers below (CSP and frame headers, locale, CSRF cookies, static assets, our
   * routers) are pure cost there, about a third of a JWKS answer. Everything else takes the full
   * stack, including a browser that opens /jwks or /me: oidc-provider answers such a client's error
   * with an HTML page (renderError), which needs the locale and the security headers.
   */
  const machinePaths = machineEndpointPaths(providers.provider);
  const isMachineRequest = (ctx: Koa.Context) => machinePaths.has(ctx.path) && ctx.accepts('json', 'html') !== 'html';
  const headersForMachines = machineHeaders(settings.production);
  const machineErrors = errorHandler(logger, chrome, { json: true });
  const toProvider = providers.middleware();
  // What the provider does not answer (a method it has no route for) ends as machineErrors' JSON 404.
  const nothingAfter = async () => undefined;
  const toMachineEndpoint = (ctx: Koa.Context) =>
    headersForMachines(ctx, () => machineErrors(ctx, () => toProvider(ctx, nothingAfter)));

  koa
    .use(requestLogging(logger))
    .use((ctx, next) => (isMachineRequest(ctx) ? toMachineEndpoint(ctx) : next()))
    .use(securityHeaders(settings.production))
    .use(localeSelection(settings.production))
    .use(errorHandler(logger, chrome))
    .use(browserCsrf(csrfTokens, settings.production))
    .use(staticAssets())
    .use(health.routes())
    .use(pages.routes())
    .use(serviceItems.routes())
    .use(portalAuth.routes())
    .use(myInformation.routes())
    .use(agents.routes())
    .use(registration.routes())
    .use(naturalRegistration.routes())
    .use(legalRegistration.routes())
    .use(recovery.routes())
    .use(passwordReset.routes())
    .use(appeals.routes())
    .use(torchLookup.routes())
    .use(interactions.routes())
    .use(interactions.allowedMethods())
    .use(sms.routes())
    .use(sms.allowedMethods())
    .use(reviewConsole.routes())
    .use(reviewConsole.allowedMethods())
    .use(providers.middleware());
  return { koa, providers };
}
