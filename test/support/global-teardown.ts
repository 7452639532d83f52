/** Stops the cluster the global setup started (nothing to do when DATABASE_URL was given). */
import type * as PostgresClusterModule from './postgres-cluster.js';

// Loaded by its real file name for the reason given in global-setup.ts.
const clusterModule = './postgres-cluster.ts';

export default async function globalTeardown(): Promise<void> {
  const dir = process.env.TEST_PG_DIR;
  const bin = process.env.TEST_PG_BIN;
  if (!dir || !bin) return;
  const { stopPostgresCluster } = (await import(clusterModule)) as typeof PostgresClusterModule;
  stopPostgresCluster({ dir, bin });
}
