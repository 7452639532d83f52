import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { z } from 'zod';
import { projectRoot } from './paths.js';
import type { SmsTemplate } from './notify/sms-templates.js';

/** A setting that cannot be used; main prints its message as the one start-up error line. */
export class SettingsError extends Error {}

const integer = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number({ error: `must be a whole number from ${min} to ${max}` }).int({ error: `must be a whole number from ${min} to ${max}` }).min(min, { error: `must be at least ${min}` }).max(max, { error: `must be at most ${max}` });
const seconds = (fallback: number) => integer(1).default(fallback);
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production'], { error: 'must be development, test or production' }).default('development'),
  PORT: integer(0, 65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  ISSUER: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. https://id.example.gov.cn' }).optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATA_DIR: z.string().min(1).default('data'),
  CLIENTS_FILE: z.string().min(1).default('config/clients.json'),
  PII_KEY: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'must be one of fatal, error, warn, info, debug, trace, silent' }).default('info'),
  TRUST_PROXY: flag.default(false),
  SUPPORT_PHONE: z.string().min(1).default('010-88659000'),

  SESSION_TTL: seconds(8 * 3600),
  INTERACTION_TTL: seconds(30 * 60),
  AUTHORIZATION_CODE_TTL: seconds(60),
  ACCESS_TOKEN_TTL: seconds(15 * 60),
  ID_TOKEN_TTL: seconds(15 * 60),
  REFRESH_TOKEN_TTL: seconds(8 * 3600),

  LOGIN_CAPTCHA_AFTER: integer(0).default(3),
  LOGIN_LOCK_AFTER: integer(1).default(5),
  LOGIN_LOCK_SECONDS: seconds(15 * 60),
  ADDRESS_LOGIN_FAILURES: integer(1).default(30),
  ADDRESS_LOGIN_WINDOW: seconds(15 * 60),
  CAPTCHA_TEST_ANSWER: z.string().min(1).max(16, { error: 'must be at most 16 characters (the captcha field takes 16)' }).optional(),
  KEY_RELOAD_INTERVAL: seconds(30),
  KEY_ACTIVATION_DELAY: integer(0).default(120),
  OP_INTERNAL_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  HASH_CONCURRENCY: integer(1, 64).default(os.availableParallelism()),

  // Real-name verification
  IDENTITY_AUTHORITY: z.enum(['reference', 'http'], { error: 'must be reference or http' }).optional(),
  IDENTITY_AUTHORITY_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  IDENTITY_AUTHORITY_TOKEN: z.string().optional(),
  IDENTITY_AUTHORITY_TIMEOUT_MS: integer(100, 60_000).default(5000),
  REFERENCE_REGISTER_FILE: z.string().min(1).default('config/reference-register.json'),
  ENTERPRISE_REGISTRY: z.enum(['reference', 'http'], { error: 'must be reference or http' }).optional(),
  ENTERPRISE_REGISTRY_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  ENTERPRISE_REGISTRY_TOKEN: z.string().optional(),
  ENTERPRISE_REGISTRY_TIMEOUT_MS: integer(100, 60_000).default(5000),
  ENTERPRISE_REGISTER_FILE: z.string().min(1).default('config/enterprise-register.json'),

  // Torch Center migration: the business systems an E4 agent is authorized for (client ids, comma-separated).
  TORCH_AUTHORIZED_SYSTEMS: z
    .string()
    .regex(/^\s*[A-Za-z0-9_.-]+\s*(,\s*[A-Za-z0-9_.-]+\s*)*$/, { error: 'must be client ids separated by commas' })
    .default('hightech,sme'),

  // SMS codes
  SMS_ADAPTER: z.enum(['outbox', 'http', 'tencent'], { error: 'must be outbox, http or tencent' }).optional(),
  SMS_HTTP_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  SMS_HTTP_TOKEN: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
  SMS_TIMEOUT_MS: integer(100, 60_000).default(5000),
  SMS_SIGN_NAME: z.string().min(2).max(12, { error: 'must be 2 to 12 characters (an SMS signature)' }).default('科技部政务服务平台'),
  SMS_TEMPLATE_REGISTER: z.string().min(1).optional(),
  SMS_TEMPLATE_RESET: z.string().min(1).optional(),
  SMS_TEMPLATE_APPEAL: z.string().min(1).optional(),
  SMS_TEMPLATE_CHANGE_MOBILE: z.string().min(1).optional(),
  SMS_TEMPLATE_LOOKUP: z.string().min(1).optional(),
  SMS_TEMPLATE_AUTHORIZE: z.string().min(1).optional(),
  SMS_TEMPLATE_NOTICE_PASSWORD_RESET: z.string().min(1).optional(),
  SMS_TEMPLATE_NOTICE_APPEAL_APPROVED: z.string().min(1).optional(),
  SMS_TEMPLATE_NOTICE_APPEAL_REJECTED: z.string().min(1).optional(),
  SMS_TENCENT_SECRET_ID: z.string().min(1).optional(),
  SMS_TENCENT_SECRET_KEY: z.string().min(1).optional(),
  SMS_TENCENT_SDK_APP_ID: z.string().regex(/^\d+$/, 'must be the numeric SmsSdkAppId').optional(),
  SMS_TENCENT_REGION: z.string().regex(/^[a-z]+-[a-z]+$/, 'must be a region such as ap-guangzhou').default('ap-guangzhou'),
  SMS_TENCENT_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('https://sms.tencentcloudapi.com'),
  SMS_CODE_TTL: seconds(5 * 60),
  SMS_RESEND_AFTER: seconds(60),
  SMS_MAX_ATTEMPTS: integer(1, 20).default(5),
  SMS_DAILY_PER_MOBILE: integer(1).default(10),
  SMS_DAILY_PER_ADDRESS: integer(1).default(50),
  // Review console and uploads
  UPLOAD_MAX_BYTES: integer(1024, 20 * 1024 * 1024).default(1024 * 1024),
  ONE_TIME_CREDENTIAL_TTL: seconds(24 * 60 * 60),
  CONSOLE_IDLE_TIMEOUT: seconds(30 * 60),
  CONSOLE_SESSION_TTL: seconds(8 * 3600),
});

/** Values that may hold credentials: never echoed in an error. */
const SECRET_SETTINGS = new Set([
  'DATABASE_URL',
  'PII_KEY',
  'CAPTCHA_TEST_ANSWER',
  'IDENTITY_AUTHORITY_URL',
  'IDENTITY_AUTHORITY_TOKEN',
  'ENTERPRISE_REGISTRY_URL',
  'ENTERPRISE_REGISTRY_TOKEN',
  'SMS_HTTP_TOKEN',
  'SMS_TENCENT_SECRET_ID',
  'SMS_TENCENT_SECRET_KEY',
]);

export type Settings = ReturnType<typeof buildSettings>;

function buildSettings(env: z.infer<typeof envSchema>) {
  const dataDir = path.resolve(projectRoot, env.DATA_DIR);
  const production = env.NODE_ENV === 'production';
  return {
    env: env.NODE_ENV,
    production,
    port: env.PORT,
    host: env.HOST,
    issuer: (env.ISSUER ?? `http://localhost:${env.PORT}`).replace(/\/$/, ''),
    database: env.DATABASE_URL
      ? ({ kind: 'postgres', url: env.DATABASE_URL } as const)
      : ({ kind: 'embedded', dir: path.join(dataDir, 'pglite') } as const),
    dataDir,
    clientsFile: path.resolve(projectRoot, env.CLIENTS_FILE),
    piiKey: env.PII_KEY,
    logLevel: env.LOG_LEVEL,
    trustProxy: env.TRUST_PROXY,
    supportPhone: env.SUPPORT_PHONE,
    ttl: {
      session: env.SESSION_TTL,
      interaction: env.INTERACTION_TTL,
      authorizationCode: env.AUTHORIZATION_CODE_TTL,
      accessToken: env.ACCESS_TOKEN_TTL,
      idToken: env.ID_TOKEN_TTL,
      refreshToken: env.REFRESH_TOKEN_TTL,
    },
    loginProtection: {
      captchaAfter: env.LOGIN_CAPTCHA_AFTER,
      lockAfter: env.LOGIN_LOCK_AFTER,
      lockSeconds: env.LOGIN_LOCK_SECONDS,
      addressFailures: env.ADDRESS_LOGIN_FAILURES,
      addressWindowSeconds: env.ADDRESS_LOGIN_WINDOW,
    },
    keys: {
      /** How often each instance looks for a rotated key set. */
      reloadIntervalSeconds: env.KEY_RELOAD_INTERVAL,
      /** A rotated key signs only after this, so every instance publishes it first. */
      activationDelaySeconds: env.KEY_ACTIVATION_DELAY,
    },
    /** Where the portal reaches the OP's token and JWKS endpoints (the issuer unless set). */
    opInternalUrl: (env.OP_INTERNAL_URL ?? env.ISSUER ?? `http://localhost:${env.PORT}`).replace(/\/$/, ''),
    captchaTestAnswer: env.CAPTCHA_TEST_ANSWER,
    hashConcurrency: env.HASH_CONCURRENCY,
    identityAuthority: identityAuthoritySettings(env),
    enterpriseRegistry: enterpriseRegistrySettings(env),
    sms: {
      gateway: smsGateway(env, production),
      timeoutMs: env.SMS_TIMEOUT_MS,
      signName: env.SMS_SIGN_NAME,
      codes: {
        ttlSeconds: env.SMS_CODE_TTL,
        resendAfterSeconds: env.SMS_RESEND_AFTER,
        maxAttempts: env.SMS_MAX_ATTEMPTS,
        dailyPerMobile: env.SMS_DAILY_PER_MOBILE,
        dailyPerAddress: env.SMS_DAILY_PER_ADDRESS,
      },
    },
    /** Identity-document images (SPEC §4): refused above this, before anything is stored. */
    uploads: { maxBytes: env.UPLOAD_MAX_BYTES },
    /** How long the one-time credential of an approved appeal signs in (SPEC §7: 24 hours). */
    oneTimeCredentialTtlSeconds: env.ONE_TIME_CREDENTIAL_TTL,
    /** SPEC §8 E4: the systems a migrated enterprise's natural account is authorized for. */
    torch: { authorizedSystems: env.TORCH_AUTHORIZED_SYSTEMS.split(',').map((id) => id.trim()) },
    reviewConsole: {
      /** A console session ends after this long without a request... */
      idleTimeoutSeconds: env.CONSOLE_IDLE_TIMEOUT,
      /** ...and this long after sign-in, whatever the activity. */
      sessionTtlSeconds: env.CONSOLE_SESSION_TTL,
    },
  };
}

// SMS codes
/** What each SMS adapter needs, checked at start-up so a misconfigured gateway never meets a user. */
function smsGateway(env: z.infer<typeof envSchema>, production: boolean) {
  const required = (name: keyof typeof env, why: string): string => {
    const value = env[name];
    if (typeof value !== 'string') throw new SettingsError(`${name}: required ${why}`);
    return value;
  };
  const mustBeHttps = (name: keyof typeof env, url: string) => {
    if (production && !url.startsWith('https://')) throw new SettingsError(`${name}: must be an https:// URL when NODE_ENV=production`);
  };
  const adapter = env.SMS_ADAPTER ?? (production ? undefined : 'outbox');
  switch (adapter) {
    case undefined:
      throw new SettingsError('SMS_ADAPTER: required when NODE_ENV=production: http or tencent');
    case 'outbox':
      // The outbox only stores messages: in production no code would ever reach a phone.
      if (production) throw new SettingsError('SMS_ADAPTER: outbox only stores messages and must not be used when NODE_ENV=production: use http or tencent');
      return { kind: 'outbox' } as const;
    case 'http': {
      const url = required('SMS_HTTP_URL', 'when SMS_ADAPTER=http');
      mustBeHttps('SMS_HTTP_URL', url);
      return { kind: 'http', url, token: required('SMS_HTTP_TOKEN', 'when SMS_ADAPTER=http'), templateIds: smsTemplateIds(env) } as const;
    }
    case 'tencent': {
      mustBeHttps('SMS_TENCENT_ENDPOINT', env.SMS_TENCENT_ENDPOINT);
      const why = 'when SMS_ADAPTER=tencent';
      const ids = smsTemplateIds(env);
      const templateIds: Record<SmsTemplate, string> = {
        code_register: ids.code_register ?? required('SMS_TEMPLATE_REGISTER', why),
        code_reset: ids.code_reset ?? required('SMS_TEMPLATE_RESET', why),
        code_appeal: ids.code_appeal ?? required('SMS_TEMPLATE_APPEAL', why),
        code_change_mobile: ids.code_change_mobile ?? required('SMS_TEMPLATE_CHANGE_MOBILE', why),
        code_lookup: ids.code_lookup ?? required('SMS_TEMPLATE_LOOKUP', why),
        code_authorize: ids.code_authorize ?? required('SMS_TEMPLATE_AUTHORIZE', why),
        notice_password_reset: ids.notice_password_reset ?? required('SMS_TEMPLATE_NOTICE_PASSWORD_RESET', why),
        notice_appeal_approved: ids.notice_appeal_approved ?? required('SMS_TEMPLATE_NOTICE_APPEAL_APPROVED', why),
        notice_appeal_rejected: ids.notice_appeal_rejected ?? required('SMS_TEMPLATE_NOTICE_APPEAL_REJECTED', why),
      };
      return {
        kind: 'tencent',
        secretId: required('SMS_TENCENT_SECRET_ID', why),
        secretKey: required('SMS_TENCENT_SECRET_KEY', why),
        sdkAppId: required('SMS_TENCENT_SDK_APP_ID', why),
        region: env.SMS_TENCENT_REGION,
        endpoint: env.SMS_TENCENT_ENDPOINT,
        templateIds,
      } as const;
    }
  }
}

/** The gateway's template id for each of our templates, where one is configured. */
function smsTemplateIds(env: z.infer<typeof envSchema>): Partial<Record<SmsTemplate, string>> {
  return {
    code_register: env.SMS_TEMPLATE_REGISTER,
    code_reset: env.SMS_TEMPLATE_RESET,
    code_appeal: env.SMS_TEMPLATE_APPEAL,
    code_change_mobile: env.SMS_TEMPLATE_CHANGE_MOBILE,
    code_lookup: env.SMS_TEMPLATE_LOOKUP,
    code_authorize: env.SMS_TEMPLATE_AUTHORIZE,
    notice_password_reset: env.SMS_TEMPLATE_NOTICE_PASSWORD_RESET,
    notice_appeal_approved: env.SMS_TEMPLATE_NOTICE_APPEAL_APPROVED,
    notice_appeal_rejected: env.SMS_TEMPLATE_NOTICE_APPEAL_REJECTED,
  };
}

/**
 * Who answers real-name checks. Production must say so: falling back to the demo register there
 * would "verify" only the demo people, silently.
 */
function identityAuthoritySettings(env: z.infer<typeof envSchema>) {
  const production = env.NODE_ENV === 'production';
  const kind = env.IDENTITY_AUTHORITY ?? (production ? undefined : 'reference');
  if (kind === undefined) {
    throw new SettingsError('IDENTITY_AUTHORITY: required when NODE_ENV=production (http for a real authority, reference for the local register)');
  }
  if (kind === 'reference') return { kind, registerFile: path.resolve(projectRoot, env.REFERENCE_REGISTER_FILE) } as const;
  const url = env.IDENTITY_AUTHORITY_URL;
  if (!url) throw new SettingsError('IDENTITY_AUTHORITY_URL: required when IDENTITY_AUTHORITY=http');
  // Names and document numbers cross this link.
  if (production && !url.startsWith('https://')) {
    throw new SettingsError('IDENTITY_AUTHORITY_URL: must be an https:// URL when NODE_ENV=production');
  }
  const token = env.IDENTITY_AUTHORITY_TOKEN;
  if (!token) throw new SettingsError('IDENTITY_AUTHORITY_TOKEN: required when IDENTITY_AUTHORITY=http');
  return { kind, url, token, timeoutMs: env.IDENTITY_AUTHORITY_TIMEOUT_MS } as const;
}

/** Who answers legal-entity checks (unit name + USCC + legal representative); as identityAuthoritySettings. */
function enterpriseRegistrySettings(env: z.infer<typeof envSchema>) {
  const production = env.NODE_ENV === 'production';
  const kind = env.ENTERPRISE_REGISTRY ?? (production ? undefined : 'reference');
  if (kind === undefined) {
    throw new SettingsError('ENTERPRISE_REGISTRY: required when NODE_ENV=production (http for a real registry, reference for the local register)');
  }
  if (kind === 'reference') return { kind, registerFile: path.resolve(projectRoot, env.ENTERPRISE_REGISTER_FILE) } as const;
  const url = env.ENTERPRISE_REGISTRY_URL;
  if (!url) throw new SettingsError('ENTERPRISE_REGISTRY_URL: required when ENTERPRISE_REGISTRY=http');
  if (production && !url.startsWith('https://')) {
    throw new SettingsError('ENTERPRISE_REGISTRY_URL: must be an https:// URL when NODE_ENV=production');
  }
  const token = env.ENTERPRISE_REGISTRY_TOKEN;
  if (!token) throw new SettingsError('ENTERPRISE_REGISTRY_TOKEN: required when ENTERPRISE_REGISTRY=http');
  return { kind, url, token, timeoutMs: env.ENTERPRISE_REGISTRY_TIMEOUT_MS } as const;
}

/** Reads settings from the environment; throws SettingsError naming the first bad variable. */
export function loadSettings(source: NodeJS.ProcessEnv = process.env): Settings {
  // Empty strings are how shells and compose files say "unset".
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    // Values that may hold credentials are never echoed.
    const shown = SECRET_SETTINGS.has(name) ? '' : ` (got ${JSON.stringify(cleaned[name] ?? null)})`;
    throw new SettingsError(`${name}: ${issue.message}${shown}`);
  }
  const settings = buildSettings(parsed.data);

  if (settings.production) {
    if (settings.captchaTestAnswer) {
      throw new SettingsError('CAPTCHA_TEST_ANSWER: must not be set when NODE_ENV=production');
    }
    if (!settings.issuer.startsWith('https://')) {
      throw new SettingsError(`ISSUER: must be an https:// URL when NODE_ENV=production (got ${settings.issuer})`);
    }
    if (!settings.piiKey) {
      throw new SettingsError('PII_KEY: required when NODE_ENV=production (64 hex characters or base64 of 32 bytes)');
    }
  }
  if (settings.keys.activationDelaySeconds > 0 && settings.keys.activationDelaySeconds < 2 * settings.keys.reloadIntervalSeconds) {
    throw new SettingsError(
      `KEY_ACTIVATION_DELAY: must be 0 or at least twice KEY_RELOAD_INTERVAL (${2 * settings.keys.reloadIntervalSeconds} s), so every instance publishes a new key before it signs`,
    );
  }
  if (!fs.existsSync(settings.clientsFile)) {
    throw new SettingsError(`CLIENTS_FILE: no such file ${settings.clientsFile}`);
  }
  if (settings.identityAuthority.kind === 'reference' && !fs.existsSync(settings.identityAuthority.registerFile)) {
    throw new SettingsError(`REFERENCE_REGISTER_FILE: no such file ${settings.identityAuthority.registerFile}`);
  }
  if (settings.enterpriseRegistry.kind === 'reference' && !fs.existsSync(settings.enterpriseRegistry.registerFile)) {
    throw new SettingsError(`ENTERPRISE_REGISTER_FILE: no such file ${settings.enterpriseRegistry.registerFile}`);
  }
  return settings;
}
