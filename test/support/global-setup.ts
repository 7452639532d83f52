/**
 * Starts a throwaway PostgreSQL cluster for the test run, unless DATABASE_URL names one.
 * Jest loads this file outside the test module system (compiled to CommonJS and require()d), where
 * neither moduleNameMapper nor the `.js` → `.ts` mapping applies: the cluster module is therefore
 * loaded by its real file name.
 */
import type * as PostgresClusterModule from './postgres-cluster.js';

const clusterModule = './postgres-cluster.ts';

export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) {
    process.env.TEST_DATABASE_URL = process.env.DATABASE_URL;
    return;
  }
  const { startPostgresCluster } = (await import(clusterModule)) as typeof PostgresClusterModule;
  const cluster = await startPostgresCluster({ database: 'idp_test', prefix: 'idp-test-pg-' });
  process.env.TEST_DATABASE_URL = cluster.url;
  process.env.TEST_PG_DIR = cluster.dir;
  process.env.TEST_PG_BIN = cluster.bin;
}
