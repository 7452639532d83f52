import http from 'node:http';
import { createApp } from './app.js';
import { createServices } from './services.js';
import { createDatabase, EmbeddedDatabaseBusyError } from './db/database.js';
import { migrateLatest } from './db/migrate.js';
import { createLogger } from './logger.js';
import { ClientsFileError } from './oidc/clients.js';
import { purgeExpiredOidcModels } from './oidc/knex-adapter.js';
import { loadSettings, SettingsError } from './settings.js';
import { loadReferenceRegister } from './verification/reference-register.file.js';
import { loadEnterpriseRegister } from './verification/enterprise-register.file.js';

const PURGE_INTERVAL_MS = 10 * 60 * 1000;

async function main(): Promise<void> {
  const settings = loadSettings();
  const logger = createLogger(settings.logLevel);
  const database = await createDatabase(settings.database);
  const applied = await migrateLatest(database.db);
  if (applied.length) logger.info({ applied }, 'migrations applied');

  const context = createServices(settings, logger, database.db);
  const registered = await loadReferenceRegister(settings, context.referenceRegister);
  if (registered) logger.info({ people: registered }, 'reference register loaded');
  const units = await loadEnterpriseRegister(settings, context.referenceEntities);
  if (units) logger.info({ units }, 'enterprise reference register loaded');
  const { koa, providers } = await createApp(context);
  const server = http.createServer(koa.callback());
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(settings.port, settings.host, resolve));
  logger.info(
    { issuer: settings.issuer, port: settings.port, database: settings.database.kind, clients: context.clients.metadata.length },
    `listening; OpenID Connect discovery at ${settings.issuer}/.well-known/openid-configuration`,
  );

  const purge = setInterval(() => {
    Promise.all([
      purgeExpiredOidcModels(database.db),
      context.captchas.purgeExpired(),
      context.rateLimiter.purgeExpired(),
      context.passwordResetFlows.purgeExpired(context.clock()),
    ]).catch(
      (error) => logger.warn({ err: error }, 'purge of expired rows failed'),
    );
  }, PURGE_INTERVAL_MS);
  purge.unref();
  // SMS codes
  const smsPurge = setInterval(() => {
    context.smsCodes.purgeExpired().catch((error) => logger.warn({ err: error }, 'purge of old SMS codes failed'));
  }, PURGE_INTERVAL_MS);
  smsPurge.unref();

  const keyReload = setInterval(() => {
    providers.reload().then(
      (changed) => changed && logger.info('signing keys changed: provider reloaded'),
      (error) => logger.warn({ err: error }, 'signing key reload failed'),
    );
  }, settings.keys.reloadIntervalSeconds * 1000);
  keyReload.unref();

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    server.close(() => {
      database.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  // Configuration mistakes get one clear line, not a stack trace.
  if (error instanceof SettingsError || error instanceof ClientsFileError || error instanceof EmbeddedDatabaseBusyError) {
    console.error(`Cannot start: ${error.message}`);
  } else {
    console.error(error);
  }
  process.exit(1);
});
