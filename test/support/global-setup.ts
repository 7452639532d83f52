/**
 * Starts a throwaway PostgreSQL cluster for the test run, unless DATABASE_URL names one.
 * Plain node APIs only: jest loads this file outside the test module system.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

function findPostgresBin(): string {
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

export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) {
    process.env.TEST_DATABASE_URL = process.env.DATABASE_URL;
    return;
  }
  const bin = findPostgresBin();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idp-test-pg-'));
  const asRoot = process.getuid?.() === 0;
  // PostgreSQL refuses to run as root; the cluster then belongs to the postgres user.
  const run = (tool: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args], { stdio: 'pipe' })
      : execFileSync(path.join(bin, tool), args, { stdio: 'pipe' });
  if (asRoot) execFileSync('chown', ['postgres:postgres', dir]);
  fs.chmodSync(dir, 0o700);

  const port = await freePort();
  const data = path.join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  run('pg_ctl', [
    '-D', data, '-l', path.join(dir, 'server.log'), '-w', 'start',
    '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`,
  ]);
  run('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', 'idp_test']);

  process.env.TEST_DATABASE_URL = `postgres://postgres@127.0.0.1:${port}/idp_test`;
  process.env.TEST_PG_DIR = dir;
  process.env.TEST_PG_BIN = bin;
}
