/**
 * A throwaway PostgreSQL cluster from the local binaries: initdb + start + createdb, fsync off.
 * Used by the jest global setup/teardown and by the benchmark (bench/run.ts).
 * Plain node APIs only: jest loads this file outside the test module system.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface PostgresCluster {
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url: string;
  /** The cluster's directory (data, socket, server.log); removed by stopPostgresCluster. */
  dir: string;
  /** The PostgreSQL bin directory the cluster was made with. */
  bin: string;
  port: number;
}

export function findPostgresBin(): string {
  const candidates = ['/usr/lib/postgresql'].flatMap((root) =>
    fs.existsSync(root)
      ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)).map((v) => path.join(root, v, 'bin'))
      : [],
  );
  const bin = candidates.find((dir) => fs.existsSync(path.join(dir, 'initdb')));
  if (!bin) throw new Error('No PostgreSQL binaries under /usr/lib/postgresql: apt-get install postgresql, or set DATABASE_URL');
  return bin;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const asRoot = () => process.getuid?.() === 0;

// PostgreSQL refuses to run as root; the cluster then belongs to the postgres user.
function runTool(bin: string, tool: string, args: string[]): void {
  if (asRoot()) execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args], { stdio: 'pipe' });
  else execFileSync(path.join(bin, tool), args, { stdio: 'pipe' });
}

/** Starts a cluster on a free loopback port and creates `database` in it. */
export async function startPostgresCluster(
  options: { database?: string; prefix?: string; maxConnections?: number; settings?: Record<string, string> } = {},
): Promise<PostgresCluster> {
  const database = options.database ?? 'idp_test';
  const bin = findPostgresBin();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), options.prefix ?? 'idp-test-pg-'));
  try {
    if (asRoot()) execFileSync('chown', ['postgres:postgres', dir]);
    fs.chmodSync(dir, 0o700);

    const port = await freePort();
    const data = path.join(dir, 'data');
    runTool(bin, 'initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    const extra = Object.entries(options.settings ?? {}).map(([name, value]) => ` -c ${name}=${value}`).join('');
    runTool(bin, 'pg_ctl', [
      '-D', data, '-l', path.join(dir, 'server.log'), '-w', 'start',
      '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=${options.maxConnections ?? 200}${extra}`,
    ]);
    runTool(bin, 'createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', database]);
    return { url: `postgres://postgres@127.0.0.1:${port}/${database}`, dir, bin, port };
  } catch (error) {
    stopPostgresCluster({ dir, bin });
    throw error;
  }
}

/** Stops the cluster (immediate mode) and removes its directory. Safe to call twice. */
export function stopPostgresCluster(cluster: { dir: string; bin: string }): void {
  const data = path.join(cluster.dir, 'data');
  try {
    if (fs.existsSync(path.join(data, 'postmaster.pid'))) runTool(cluster.bin, 'pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
  } finally {
    fs.rmSync(cluster.dir, { recursive: true, force: true });
  }
}
