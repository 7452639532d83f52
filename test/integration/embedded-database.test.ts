/**
 * The zero-setup default: the server as `npm start` runs it, on embedded PGlite under DATA_DIR,
 * signing a user in and keeping its data across a restart. Accounts are made with the CLI, which
 * must refuse to open the embedded database while the server holds it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { uniqueUscc } from '../support/accounts.js';
import { TestRelyingParty } from '../support/oidc-rp.js';
import { STRONG_PASSWORD, unique, uniqueMobile } from '../support/test-app.js';
import { UserAgent } from '../support/user-agent.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('embedded database (npm start with no DATABASE_URL)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'idp-embedded-'));
  const clientsFile = path.join(dataDir, 'clients.json');
  const rp = new TestRelyingParty(unique('emb'), 'embedded-rp-secret-0123456789-0123');
  let port: number;
  let server: ChildProcess | undefined;
  const env = () => ({ ...process.env, DATA_DIR: dataDir, CLIENTS_FILE: clientsFile, PORT: String(port), HOST: '127.0.0.1', ISSUER: `http://127.0.0.1:${port}`, LOG_LEVEL: 'warn', DATABASE_URL: '', NODE_OPTIONS: '' });

  const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, env: env() });

  async function startServer(): Promise<void> {
    server = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: root, env: env(), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    server.stderr!.on('data', (chunk) => (stderr += chunk));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (server.exitCode !== null) throw new Error(`server exited: ${stderr}`);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
      if (ready) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`server did not become ready: ${stderr}`);
  }

  async function stopServer(): Promise<void> {
    if (!server || server.exitCode !== null) return;
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }

  beforeAll(async () => {
    port = await freePort();
    await rp.listen();
    fs.writeFileSync(clientsFile, JSON.stringify([rp.clientEntry()]));
  });
  afterAll(async () => {
    await stopServer();
    await rp.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  // Before the server starts: the CLI and the server cannot hold the embedded database at once.
  test('when a Torch export is imported on the embedded database, then its one connection serves the pipelined batches, and a second run creates nothing', async () => {
    const [uscc, mobile] = [uniqueUscc(), uniqueMobile()];
    const password = { password_scheme: 'md5', password_hash: '1a1dc91c907325c69271ddf0c944bc72' };
    const records = [
      { legacy_id: 'emb-1', kind: 'enterprise', login_name: uscc, org_name: '嵌入企业', mobile: uniqueMobile(), ...password },
      { legacy_id: 'emb-2', kind: 'personal', login_name: mobile, name: '嵌入', mobile, ...password },
      { legacy_id: 'emb-3', kind: 'enterprise', login_name: uscc.toLowerCase(), org_name: '嵌入企业', mobile: uniqueMobile(), ...password },
      { legacy_id: 'emb-4', kind: 'personal', login_name: mobile, name: '嵌入', mobile, ...password },
      { legacy_id: 'emb-5', kind: 'personal', login_name: uniqueMobile(), name: '嵌入', ...password },
    ];
    const file = path.join(dataDir, 'torch.jsonl');
    fs.writeFileSync(file, records.map((record) => JSON.stringify(record)).join('\n') + '\n');

    const applied = await cli('torch', 'import', file, '--batch', '1');
    expect(applied.stdout).toContain('records 5, malformed 0, decided 5, already decided 0, accounts created 3');
    expect(applied.stdout).toContain('E1 1  E2 1  E3 0  E4 0  P1 2  P2 1');
    const again = await cli('torch', 'import', file, '--batch', '2');
    expect(again.stdout).toContain('decided 0, already decided 5, accounts created 0');
  }, 60_000);

  test('when an account is made with the CLI and the server starts, then a user signs in, and after a restart signs in again with the same keys', async () => {
    const loginName = unique('emb');
    const created = await cli('account', 'create', '--kind', 'natural', '--login', loginName, '--password', STRONG_PASSWORD, '--mobile', '13912345678', '--name', '王五');
    expect(created.stdout).toContain(`created natural account ${loginName}`);

    await startServer();
    await rp.discover(`http://127.0.0.1:${port}`);
    const first = await rp.signIn(new UserAgent(), { window: 'natural', loginName, password: STRONG_PASSWORD });
    expect(first.claims()!.preferred_username).toBe(loginName);
    const firstKid = JSON.parse(Buffer.from(first.id_token!.split('.')[0]!, 'base64url').toString()).kid;

    // One process at a time: the CLI says so plainly instead of corrupting the database.
    await expect(cli('account', 'create', '--kind', 'natural', '--login', unique('x'), '--password', STRONG_PASSWORD, '--mobile', '13912345679', '--name', '赵六')).rejects.toMatchObject({
      stderr: expect.stringContaining('stop the server'),
    });

    await stopServer();
    await startServer();
    await rp.discover(`http://127.0.0.1:${port}`);
    const second = await rp.signIn(new UserAgent(), { window: 'natural', loginName, password: STRONG_PASSWORD });
    expect(second.claims()!.sub).toBe(first.claims()!.sub);
    expect(JSON.parse(Buffer.from(second.id_token!.split('.')[0]!, 'base64url').toString()).kid).toBe(firstKid);
    expect(fs.existsSync(path.join(dataDir, 'pglite'))).toBe(true);
  }, 90_000);
});
