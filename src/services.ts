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
import { systemClock, type Clock } from './clock.js';
import { SmsCodeRepository } from './notify/sms-code.repository.js';
import { SmsCodeService } from './notify/sms-code.service.js';
import { createSmsSender } from './notify/sms-sender.factory.js';
import { SmsOutboxRepository } from './notify/sms-outbox.repository.js';

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
  clock: Clock;
  smsOutbox: SmsOutboxRepository;
  smsCodes: SmsCodeService;
}

/** The services, without the provider: what the CLI needs too. */
export function createServices(settings: Settings, logger: Logger, db: Db, clients?: ClientRegistry, clock: Clock = systemClock): AppContext {
  const crypt = new PiiCrypto(loadDataKey(settings.piiKey, settings.dataDir));
  const audit = new AuditService(db, logger);
  const accounts = new AccountRepository(db, crypt);
  const hasher = new PasswordHasher(settings.hashConcurrency);
  const captchas = new CaptchaService(db, settings.production ? undefined : settings.captchaTestAnswer);
  const rateLimiter = new RateLimiter(db);
  const smsOutbox = new SmsOutboxRepository(db, crypt);
  const smsSender = createSmsSender(settings.sms, smsOutbox, logger);
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
    clock,
    smsOutbox,
    smsCodes: new SmsCodeService(db, new SmsCodeRepository(db), crypt, smsSender, audit, logger, clock, settings.sms),
  };
}
