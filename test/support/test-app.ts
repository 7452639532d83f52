import http from 'node:http';
import type { AddressInfo } from 'node:net';
import crypto from 'node:crypto';
import { createApp } from '../../src/app.js';
import { createServices, type AppContext } from '../../src/services.js';
import { createDatabase } from '../../src/db/database.js';
import { migrateLatest } from '../../src/db/migrate.js';
import { createLogger } from '../../src/logger.js';
import { parseClients } from '../../src/oidc/clients.js';
import { loadSettings, type Settings } from '../../src/settings.js';
import type { ProviderHost } from '../../src/oidc/provider-host.js';
import type { DestinationStream } from 'pino';
import type { Clock } from '../../src/clock.js';
import type { IdentityAuthority } from '../../src/verification/identity-authority.js';
import type { EnterpriseRegistry } from '../../src/verification/enterprise-registry.js';
import { loadReferenceRegister } from '../../src/verification/reference-register.file.js';
import { loadEnterpriseRegister } from '../../src/verification/enterprise-register.file.js';

export interface TestApp {
  url: string;
  context: AppContext;
  providers: ProviderHost;
  close(): Promise<void>;
}

/** A fixed key for tests; production keys come from PII_KEY. */
export const TEST_PII_KEY = 'a'.repeat(64);

export function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: the jest global setup starts PostgreSQL');
  return url;
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/**
 * Starts the real app in this process on a random loopback port against the test PostgreSQL.
 * `clients` replaces config/clients.json (entries in the file's format); `identityAuthority` and
 * `clock` replace the ones settings would choose.
 */
export async function startTestApp(
  options: {
    env?: Record<string, string>;
    clients?: unknown[];
    logDestination?: DestinationStream;
    identityAuthority?: IdentityAuthority;
    enterpriseRegistry?: EnterpriseRegistry;
    clock?: Clock;
  } = {},
): Promise<TestApp> {
  const server = http.createServer();
  const port = await listen(server);
  const url = `http://127.0.0.1:${port}`;
  let settings: Settings;
  try {
    settings = loadSettings({
      NODE_ENV: 'test',
      DATABASE_URL: testDatabaseUrl(),
      ISSUER: url,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      PII_KEY: TEST_PII_KEY,
      ...options.env,
    });
  } catch (error) {
    // A test of bad settings must not leave the listening server behind.
    server.close();
    throw error;
  }
  const database = await createDatabase(settings.database);
  await migrateLatest(database.db);
  const clients = options.clients ? parseClients(options.clients, process.env, false) : undefined;
  const context = createServices(settings, createLogger(settings.logLevel, options.logDestination), database.db, clients, {
    identityAuthority: options.identityAuthority,
    enterpriseRegistry: options.enterpriseRegistry,
    clock: options.clock,
  });
  await loadReferenceRegister(settings, context.referenceRegister);
  await loadEnterpriseRegister(settings, context.referenceEntities);
  const { koa, providers } = await createApp(context);
  server.on('request', koa.callback());
  return {
    url,
    context,
    providers,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await database.close();
    },
  };
}

/** A unique suffix so every test makes its own data (no shared fixtures, no truncation). */
export function unique(prefix = 't'): string {
  return `${prefix}_${crypto.randomBytes(6).toString('hex')}`;
}

/** A valid-format mainland mobile, unique enough per test. */
export function uniqueMobile(): string {
  return `139${String(crypto.randomInt(0, 1e8)).padStart(8, '0')}`;
}

export const STRONG_PASSWORD = 'Correct-Horse-42';

/** A pino destination (logDestination) that keeps every line written to it. */
export function captureLogs(): DestinationStream & { text(): string } {
  const lines: string[] = [];
  return { write: (line: string) => void lines.push(line), text: () => lines.join('') };
}
