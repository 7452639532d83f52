import { AccountRepository } from './accounts/account.repository.js';
import { AccountService } from './accounts/account.service.js';
import { ProfileService } from './accounts/profile.service.js';
import { LegalProfileService } from './accounts/legal-profile.service.js';
import { systemClock, type Clock } from './clock.js';
import { PortalSessionRepository } from './portal/portal-session.repository.js';
import { NaturalRegistrationService } from './flows/registration/natural-registration.service.js';
import { LegalRegistrationService } from './flows/registration/legal-registration.service.js';
import { RegistrationFlowRepository } from './flows/registration/registration-flow.repository.js';
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
import { HttpIdentityAuthority } from './verification/http.identity-authority.js';
import type { IdentityAuthority } from './verification/identity-authority.js';
import { ReferenceRegisterIdentityAuthority } from './verification/reference-register.identity-authority.js';
import { ReferenceRegisterRepository } from './verification/reference-register.repository.js';
import { VerificationRepository } from './verification/verification.repository.js';
import { VerificationService } from './verification/verification.service.js';
import { EntityAuthorizationRepository } from './authorization/entity-authorization.repository.js';
import { EntityAuthorizationService } from './authorization/entity-authorization.service.js';
import type { EnterpriseRegistry } from './verification/enterprise-registry.js';
import { EntityClaimRepository } from './verification/entity-claim.repository.js';
import { EntityVerificationService } from './verification/entity-verification.service.js';
import { HttpEnterpriseRegistry } from './verification/http.enterprise-registry.js';
import { ReferenceEntityRepository } from './verification/reference-entity.repository.js';
import { ReferenceRegisterEnterpriseRegistry } from './verification/reference-register.enterprise-registry.js';
import { SmsCodeRepository } from './notify/sms-code.repository.js';
import { SmsCodeService } from './notify/sms-code.service.js';
import { createSmsSender } from './notify/sms-sender.factory.js';
import { SmsOutboxRepository } from './notify/sms-outbox.repository.js';
import { SmsNotices } from './notify/sms-notices.js';
import { OneTimeCredentialService } from './flows/recovery/one-time-credential.service.js';
import { NewPasswordService } from './flows/credential-login/new-password.service.js';
import { PasswordResetFlowRepository } from './flows/recovery/password-reset-flow.repository.js';
import { PasswordResetService } from './flows/recovery/password-reset.service.js';
import { OperatorRepository } from './review/operator.repository.js';
import { OperatorService } from './review/operator.service.js';
import { OperatorSessionRepository } from './review/operator-session.repository.js';
import { OperatorSessionService } from './review/operator-session.service.js';
import { ReviewCaseRepository } from './review/review-case.repository.js';
import { ReviewService } from './review/review.service.js';
import { UploadRepository } from './uploads/upload.repository.js';
import { UploadService } from './uploads/upload.service.js';
import { EntityChoiceService } from './access/entity-choice.service.js';
import { EntitySelectionRepository } from './access/entity-selection.repository.js';
import { AppealRepository } from './flows/appeal/appeal.repository.js';
import { AppealService } from './flows/appeal/appeal.service.js';
import { AppealReviewService } from './review/appeal-review.service.js';
import { TorchLookupRepository } from './migration/torch/torch-lookup.repository.js';
import { TorchLookupService } from './migration/torch/torch-lookup.service.js';
import { LegacyLoginService } from './migration/torch/legacy-login.service.js';
import { LegacyPasswordRepository } from './migration/torch/legacy-password.repository.js';
import { TorchImportService } from './migration/torch/torch-import.service.js';
import { TorchReportService } from './migration/torch/torch-report.service.js';

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
  referenceRegister: ReferenceRegisterRepository;
  identityAuthority: IdentityAuthority;
  verification: VerificationService;
  referenceEntities: ReferenceEntityRepository;
  enterpriseRegistry: EnterpriseRegistry;
  entityVerification: EntityVerificationService;
  authorizations: EntityAuthorizationRepository;
  authorizationService: EntityAuthorizationService;
  /** Which entity a sign-in acts for (business systems' access policies). */
  entityChoice: EntityChoiceService;
  clock: Clock;
  profiles: ProfileService;
  legalProfiles: LegalProfileService;
  portalSessions: PortalSessionRepository;
  smsOutbox: SmsOutboxRepository;
  smsCodes: SmsCodeService;
  smsNotices: SmsNotices;
  oneTimeCredentials: OneTimeCredentialService;
  /** 设置新密码 after a sign-in with a one-time credential. */
  newPasswords: NewPasswordService;
  /** 登录名重置密码 and its flows. */
  passwordResets: PasswordResetService;
  passwordResetFlows: PasswordResetFlowRepository;
  naturalRegistration: NaturalRegistrationService;
  legalRegistration: LegalRegistrationService;
  registrationFlows: RegistrationFlowRepository;
  uploads: UploadService;
  reviews: ReviewService;
  operators: OperatorService;
  operatorSessions: OperatorSessionService;
  /** 申诉找回密码: filing and status (appeals), and their review (appealReviews). */
  appeals: AppealService;
  appealReviews: AppealReviewService;
  /** 火炬中心账号检索. */
  torchLookups: TorchLookupService;
  /** The Torch Center import's runs and outcomes, for the console's migration reports. */
  /** 火炬中心用户转移: the import command and its report (SPEC §8). */
  torchImport: TorchImportService;
  torchReport: TorchReportService;
}

/** Replacements for tests: an identity authority pointed at a fake, a fixed clock. */
export interface ServiceOverrides {
  identityAuthority?: IdentityAuthority;
  enterpriseRegistry?: EnterpriseRegistry;
  clock?: Clock;
}

/** The services, without the provider: what the CLI needs too. */
export function createServices(settings: Settings, logger: Logger, db: Db, clients?: ClientRegistry, overrides: ServiceOverrides = {}): AppContext {
  const clock = overrides.clock ?? systemClock;
  const crypt = new PiiCrypto(loadDataKey(settings.piiKey, settings.dataDir));
  const audit = new AuditService(db, logger);
  const accounts = new AccountRepository(db, crypt);
  const hasher = new PasswordHasher(settings.hashConcurrency);
  const captchas = new CaptchaService(db, settings.production ? undefined : settings.captchaTestAnswer);
  const rateLimiter = new RateLimiter(db);
  // Repositories hold no state: each is built once and shared by the services that need it.
  const loginThrottle = new LoginThrottleRepository(db);
  const reviewCases = new ReviewCaseRepository(db, crypt);
  const entityClaims = new EntityClaimRepository(db);
  const referenceRegister = new ReferenceRegisterRepository(db, crypt);
  const identityAuthority =
    overrides.identityAuthority ??
    (settings.identityAuthority.kind === 'http'
      ? new HttpIdentityAuthority(settings.identityAuthority)
      : new ReferenceRegisterIdentityAuthority(referenceRegister));
  const referenceEntities = new ReferenceEntityRepository(db);
  const enterpriseRegistry = overrides.enterpriseRegistry ?? enterpriseRegistryFor(settings, referenceEntities);
  const smsOutbox = new SmsOutboxRepository(db, crypt);
  const smsSender = createSmsSender(settings.sms, smsOutbox, logger);
  const accountService = new AccountService(db, accounts, hasher, audit);
  const verificationRepository = new VerificationRepository(db, crypt);
  const verification = new VerificationService(db, verificationRepository, identityAuthority, audit, logger, clock);
  const smsCodes = new SmsCodeService(db, new SmsCodeRepository(db), crypt, smsSender, audit, logger, clock, settings.sms);
  const entityVerification = new EntityVerificationService(db, accounts, entityClaims, enterpriseRegistry, audit, logger, clock);
  const uploads = new UploadService(new UploadRepository(db, crypt), logger, settings.uploads.maxBytes);
  const clientRegistry = clients ?? loadClientsFile(settings.clientsFile, process.env, settings.production);
  const authorizations = new EntityAuthorizationRepository(db);
  const oneTimeCredentials = new OneTimeCredentialService(db, crypt, clock, settings.oneTimeCredentialTtlSeconds);
  const portalSessions = new PortalSessionRepository(db, crypt);
  const smsNotices = new SmsNotices(smsSender, settings.sms.signName, logger);
  const passwordResetFlows = new PasswordResetFlowRepository(db);
  const appealRepository = new AppealRepository(db, crypt);
  return {
    settings,
    logger,
    db,
    crypt,
    audit,
    accounts,
    accountService,
    hasher,
    captchas,
    rateLimiter,
    login: new LoginService(
      accounts,
      loginThrottle,
      captchas,
      rateLimiter,
      hasher,
      audit,
      settings.loginProtection,
      oneTimeCredentials,
      new LegacyLoginService(db, new LegacyPasswordRepository(db), accounts, hasher, audit),
    ),
    clients: clientRegistry,
    signingKeys: new SigningKeys(db, crypt),
    referenceRegister,
    identityAuthority,
    verification,
    referenceEntities,
    enterpriseRegistry,
    entityVerification,
    authorizations,
    authorizationService: new EntityAuthorizationService(db, authorizations, accounts, smsCodes, rateLimiter, audit, clientRegistry),
    entityChoice: new EntityChoiceService(clientRegistry, authorizations, new EntitySelectionRepository(db), audit, clock),
    clock,
    profiles: new ProfileService(db, accounts, hasher, audit, clock, smsCodes),
    legalProfiles: new LegalProfileService(db, accounts, audit, clock),
    portalSessions,
    smsOutbox,
    smsCodes,
    smsNotices,
    oneTimeCredentials,
    newPasswords: new NewPasswordService(db, accounts, hasher, oneTimeCredentials, audit, portalSessions),
    passwordResetFlows,
    passwordResets: new PasswordResetService(
      db,
      passwordResetFlows,
      accounts,
      loginThrottle,
      portalSessions,
      oneTimeCredentials,
      smsCodes,
      smsNotices,
      captchas,
      rateLimiter,
      hasher,
      audit,
      clock,
    ),
    naturalRegistration: new NaturalRegistrationService(accountService, smsCodes, verification, clock, accounts),
    legalRegistration: new LegalRegistrationService(accountService, smsCodes, entityVerification, clock, accounts),
    registrationFlows: new RegistrationFlowRepository(db),
    // Review console
    uploads,
    reviews: new ReviewService(db, reviewCases, uploads, audit, clock, accounts, entityClaims, verificationRepository),
    operators: new OperatorService(
      new OperatorRepository(db, crypt),
      loginThrottle,
      rateLimiter,
      hasher,
      audit,
      settings.loginProtection,
      clock,
    ),
    operatorSessions: new OperatorSessionService(new OperatorSessionRepository(db), settings.reviewConsole, clock),
    appeals: new AppealService(db, reviewCases, appealRepository, uploads, smsCodes, rateLimiter, audit, clock),
    appealReviews: new AppealReviewService(db, reviewCases, appealRepository, accounts, oneTimeCredentials, loginThrottle, smsNotices, audit, clock),
    torchLookups: new TorchLookupService(new TorchLookupRepository(db), crypt, captchas, rateLimiter, smsCodes, audit),
    torchImport: new TorchImportService(db, crypt, audit, authorizations, settings.torch.authorizedSystems),
    torchReport: new TorchReportService(db, crypt),
  };
}

function enterpriseRegistryFor(settings: Settings, register: ReferenceEntityRepository): EnterpriseRegistry {
  return settings.enterpriseRegistry.kind === 'http'
    ? new HttpEnterpriseRegistry(settings.enterpriseRegistry)
    : new ReferenceRegisterEnterpriseRegistry(register);
}
