import Router from '@koa/router';
import Koa from 'koa';
import mount from 'koa-mount';
import type Provider from 'oidc-provider';
import { AccountRepository } from './accounts/account.repository.js';
import { AccountService } from './accounts/account.service.js';
import { AuditService } from './audit/audit.service.js';
import type { Db } from './db/database.js';
import { LoginThrottleRepository } from './flows/login/login-throttle.repository.js';
import { LoginService } from './flows/login/login.service.js';
import { staticAssets } from './http/assets.js';
import { errorHandler, localeSelection, requestLogging, securityHeaders } from './http/middleware.js';
import { renderPage, type PageChrome } from './http/render.js';
import type { Logger } from './logger.js';
import { loadClientsFile, type ClientRegistry } from './oidc/clients.js';
import { interactionRoutes } from './oidc/interaction.routes.js';
import { createProvider } from './oidc/provider.js';
import { SigningKeys } from './oidc/signing-keys.js';
import { sharedSecret } from './security/app-secrets.js';
import { CaptchaService } from './security/captcha.service.js';
import { CsrfTokens } from './security/csrf.js';
import { loadDataKey } from './security/data-key.js';
import { PasswordHasher } from './security/password-hasher.js';
import { PiiCrypto } from './security/pii-crypto.js';
import { RateLimiter } from './security/rate-limiter.js';
import type { Settings } from './settings.js';

/** Everything the app is made of, built once: settings → db → repositories → services → provider. */
export interface AppContext {
  settings: Settings;
  logger: Logger;
  db: Db;
  crypt: PiiCrypto;
  audit: AuditService;
  accounts: AccountRepository;
  accountService: AccountService;
  hasher: PasswordHasher;
  captchas: CaptchaService;
  rateLimiter: RateLimiter;
  login: LoginService;
  clients: ClientRegistry;
  signingKeys: SigningKeys;
}

/** The services, without the provider: what the CLI needs too. */
export function createServices(settings: Settings, logger: Logger, db: Db, clients?: ClientRegistry): AppContext {
  const crypt = new PiiCrypto(loadDataKey(settings.piiKey, settings.dataDir));
  const audit = new AuditService(db, logger);
  const accounts = new AccountRepository(db, crypt);
  const hasher = new PasswordHasher(settings.hashConcurrency);
  const captchas = new CaptchaService(db, settings.production ? undefined : settings.captchaTestAnswer);
  const rateLimiter = new RateLimiter(db);
  return {
    settings,
    logger,
    db,
    crypt,
    audit,
    accounts,
    accountService: new AccountService(db, accounts, hasher, audit),
    hasher,
    captchas,
    rateLimiter,
    login: new LoginService(accounts, new LoginThrottleRepository(db), captchas, rateLimiter, hasher, audit, settings.loginProtection),
    clients: clients ?? loadClientsFile(settings.clientsFile, process.env, settings.production),
    signingKeys: new SigningKeys(db, crypt),
  };
}

export interface App {
  koa: Koa;
  provider: Provider;
}

/** The Koa app: our middleware and routes first, oidc-provider mounted last. */
export async function createApp(context: AppContext): Promise<App> {
  const { settings, logger, db, crypt, clients } = context;
  const chrome: PageChrome = { supportPhone: settings.supportPhone };

  const [jwks, cookieKey, csrfKey] = await Promise.all([
    context.signingKeys.load(),
    sharedSecret(db, crypt, 'cookie_key'),
    sharedSecret(db, crypt, 'csrf_key'),
  ]);
  const provider = createProvider({
    settings,
    db,
    accounts: context.accounts,
    clients,
    jwks,
    cookieKeys: [cookieKey.toString('base64url')],
    logger,
  });

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

  const pages = new Router();
  pages.get('/', (ctx) => {
    const locale = ctx.state.locale as 'zh-CN' | 'en';
    renderPage(ctx, chrome, 'home', {
      systems: [...clients.relyingParties.values()].map((rp) => ({
        name: rp.name[locale],
        description: rp.description?.[locale],
        entryUrl: rp.entryUrl,
      })),
    });
  });

  const interactions = interactionRoutes({
    provider,
    clients,
    login: context.login,
    captchas: context.captchas,
    csrf: new CsrfTokens(csrfKey),
    chrome,
  });

  koa
    .use(requestLogging(logger))
    .use(securityHeaders(settings.production))
    .use(localeSelection(settings.production))
    .use(errorHandler(logger, chrome))
    .use(staticAssets())
    .use(health.routes())
    .use(pages.routes())
    .use(interactions.routes())
    .use(interactions.allowedMethods())
    .use(mount(provider));
  return { koa, provider };
}
