import { AccountRepository } from './accounts/account.repository.js';
import { AccountService } from './accounts/account.service.js';
import { AuditService } from './audit/audit.service.js';
import type { Db } from './db/database.js';
import { LoginThrottleRepository } from './flows/login/login-throttle.repository.js';
import { LoginService } from './flows/login/login.service.js';
import type { Logger } from './logger.js';
import { loadClientsFile, type ClientRegistry } from './oidc/clients.js';
import { SigningKeys } from './oidc/signing-keys.js';
import { CaptchaService } from './security/captcha.service.js';
import { loadDataKey } from './security/data-key.js';
import { PasswordHasher } from './security/password-hasher.js';
import { PiiCrypto } from './security/pii-crypto.js';
import { RateLimiter } from './security/rate-limiter.js';
import type { Settings } from './settings.js';
import { systemClock } from './clock.js';
import { OperatorRepository } from './review/operator.repository.js';
import { OperatorService } from './review/operator.service.js';
import { OperatorSessionRepository } from './review/operator-session.repository.js';
import { OperatorSessionService } from './review/operator-session.service.js';
import { ReviewCaseRepository } from './review/review-case.repository.js';
import { ReviewService } from './review/review.service.js';
import { UploadRepository } from './uploads/upload.repository.js';
import { UploadService } from './uploads/upload.service.js';

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
  // Review console
  uploads: UploadService;
  reviews: ReviewService;
  operators: OperatorService;
  operatorSessions: OperatorSessionService;
}

/** The services, without the provider: what the CLI needs too. */
export function createServices(settings: Settings, logger: Logger, db: Db, clients?: ClientRegistry): AppContext {
  const crypt = new PiiCrypto(loadDataKey(settings.piiKey, settings.dataDir));
  const audit = new AuditService(db, logger);
  const accounts = new AccountRepository(db, crypt);
  const hasher = new PasswordHasher(settings.hashConcurrency);
  const captchas = new CaptchaService(db, settings.production ? undefined : settings.captchaTestAnswer);
  const rateLimiter = new RateLimiter(db);
  const uploads = new UploadService(new UploadRepository(db, crypt), logger, settings.uploads.maxBytes);
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
    // Review console
    uploads,
    reviews: new ReviewService(db, new ReviewCaseRepository(db, crypt), uploads, audit, systemClock),
    operators: new OperatorService(
      new OperatorRepository(db, crypt),
      new LoginThrottleRepository(db),
      rateLimiter,
      hasher,
      audit,
      settings.loginProtection,
      systemClock,
    ),
    operatorSessions: new OperatorSessionService(new OperatorSessionRepository(db), settings.reviewConsole, systemClock),
  };
}
