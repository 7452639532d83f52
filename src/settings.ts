import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { z } from 'zod';
import { projectRoot } from './paths.js';

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
  HASH_CONCURRENCY: integer(1, 64).default(os.availableParallelism()),

  // Review console and uploads
  UPLOAD_MAX_BYTES: integer(1024, 20 * 1024 * 1024).default(1024 * 1024),
  CONSOLE_IDLE_TIMEOUT: seconds(30 * 60),
  CONSOLE_SESSION_TTL: seconds(8 * 3600),
});

const SECRET_SETTINGS = new Set(['DATABASE_URL', 'PII_KEY', 'CAPTCHA_TEST_ANSWER']);

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
    captchaTestAnswer: env.CAPTCHA_TEST_ANSWER,
    hashConcurrency: env.HASH_CONCURRENCY,
    /** Identity-document images (SPEC §4): refused above this, before anything is stored. */
    uploads: { maxBytes: env.UPLOAD_MAX_BYTES },
    reviewConsole: {
      /** A console session ends after this long without a request... */
      idleTimeoutSeconds: env.CONSOLE_IDLE_TIMEOUT,
      /** ...and this long after sign-in, whatever the activity. */
      sessionTtlSeconds: env.CONSOLE_SESSION_TTL,
    },
  };
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
  return settings;
}
