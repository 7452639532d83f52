/**
 * `npm run bench`: this OP on PostgreSQL against a bare oidc-provider (in-memory adapter), both as
 * child processes on loopback, measured in one run on this machine:
 *
 *   1. discovery, 2. JWKS, 3. the token endpoint with grant_type=refresh_token (autocannon, fixed
 *   connections and duration), 4. full sign-ins per second (authorize with PKCE → login page →
 *   login POST → redirects → code → token exchange; a bounded loop over many accounts).
 *
 * Prints req/s, p50/p99, the ratio to the baseline, non-2xx counts, CPU per request for the server,
 * PostgreSQL and the load generator, our idle and peak RSS, and PASS/FAIL per target.
 * Never part of `npm test`. Tunables (environment): BENCH_DURATION (s, default 10), BENCH_WARMUP (s, 2),
 * BENCH_CONNECTIONS (20), BENCH_ACCOUNTS (200), BENCH_SIGNIN_CONCURRENCY (24), BENCH_IDLE (s of idleness
 * before our idle RSS is read, 30), BENCH_ONLY (a comma-separated
 * subset of discovery,jwks,token,signin; the targets of skipped workloads are not checked), BENCH_PROFILE
 * (a directory for CPU profiles of both servers), BENCH_PG_STATS=1 (per-statement PostgreSQL timings),
 * BENCH_LOG_LEVEL (our server's LOG_LEVEL, default warn; its output is read and discarded).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon, { type Instance, type Result } from 'autocannon';
import pg from 'pg';
import { createServices } from '../src/services.js';
import { createDatabase } from '../src/db/database.js';
import { migrateLatest } from '../src/db/migrate.js';
import { createLogger } from '../src/logger.js';
import { parseClients } from '../src/oidc/clients.js';
import { projectRoot } from '../src/paths.js';
import { loadSettings } from '../src/settings.js';
import { startPostgresCluster, stopPostgresCluster, type PostgresCluster } from '../test/support/postgres-cluster.js';
import { clusterCpuMs, processCpuMs, processSystemCpuMs } from './cpu.js';
import { commandLine, freePort, readMemory, startServer, type Memory, type ServerProcess } from './processes.js';
import { basicAuth, closeConnections, discover, signIn, type Credentials, type OidcTarget } from './sign-in.js';

const intFromEnv = (name: string, fallback: number, min: number, max: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer in [${min}, ${max}]`);
  return value;
};

const DURATION_S = intFromEnv('BENCH_DURATION', 10, 1, 120);
const WARMUP_S = intFromEnv('BENCH_WARMUP', 2, 0, 30);
const CONNECTIONS = intFromEnv('BENCH_CONNECTIONS', 20, 1, 200);
const ACCOUNTS = intFromEnv('BENCH_ACCOUNTS', 200, 1, 2000);
const SIGNIN_CONCURRENCY = intFromEnv('BENCH_SIGNIN_CONCURRENCY', 24, 1, 256);
/** A subset of workloads while investigating: BENCH_ONLY=discovery,jwks,token,signin */
const ONLY = process.env.BENCH_ONLY?.split(',').map((w) => w.trim());
/** BENCH_PROFILE=<dir>: both servers write V8 CPU profiles under it (ours/, bare/) when they stop. */
const PROFILE_DIR = process.env.BENCH_PROFILE ? path.resolve(process.env.BENCH_PROFILE) : undefined;
/** BENCH_PG_STATS=1: PostgreSQL with pg_stat_statements; the top statements of each of our runs are printed. */
const PG_STATS = process.env.BENCH_PG_STATS === '1';
/** Seconds our server sits idle after start-up before its idle RSS is read. */
const IDLE_S = intFromEnv('BENCH_IDLE', 30, 2, 120);
/** Upper bound on sign-ins per measured run, whatever the speed. */
const MAX_SIGNINS = 20_000;

const CLIENT_ID = 'bench';
const CLIENT_SECRET = crypto.randomBytes(24).toString('base64url'); // ≥ 32 characters
const REDIRECT_URI = 'http://127.0.0.1:9/callback'; // loopback, never served: the bench reads Location
const PASSWORD = 'Bench-Passw0rd-2024';
const PII_KEY = crypto.randomBytes(32).toString('hex');

const TARGETS = { tokenRatio: 0.4, staticRatio: 0.8, p99Factor: 2, signInsPerSecond: 50, idleRssMb: 150 };

// ---------------------------------------------------------------------------------------------
// Clean-up: child processes, the cluster and temp files go away at the end, on errors and on Ctrl-C.

const cleanups: Array<() => Promise<void> | void> = [];
const runningCannons = new Set<Instance>();
let stopping = false;

async function cleanUp(): Promise<void> {
  stopping = true;
  for (const instance of runningCannons) instance.stop();
  closeConnections();
  while (cleanups.length) {
    const step = cleanups.pop()!;
    try {
      await step();
    } catch (error) {
      console.error('clean-up step failed:', (error as Error).message);
    }
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    console.error(`\n${signal}: stopping the servers and the cluster…`);
    void cleanUp().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// Measurements

interface Row {
  workload: string;
  server: 'ours' | 'bare';
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** CPU ms per request (or per sign-in): the server process, PostgreSQL, the load generator. */
  cpu: { server: number; serverSystem: number; pg: number; bench: number };
  note?: string;
}

interface Subject {
  kind: 'ours' | 'bare';
  process: ServerProcess;
  target: OidcTarget;
}

let cluster: PostgresCluster | undefined;

function cpuSnapshot(subject: Subject) {
  const self = process.cpuUsage();
  return {
    server: processCpuMs(subject.process.pid),
    serverSystem: processSystemCpuMs(subject.process.pid),
    pg: subject.kind === 'ours' && cluster ? clusterCpuMs(cluster.dir) : 0,
    bench: (self.user + self.system) / 1000,
  };
}

function cpuPer(before: ReturnType<typeof cpuSnapshot>, after: ReturnType<typeof cpuSnapshot>, count: number) {
  const per = (a: number, b: number) => (count > 0 ? (b - a) / count : 0);
  return {
    server: per(before.server, after.server),
    serverSystem: per(before.serverSystem, after.serverSystem),
    pg: per(before.pg, after.pg),
    bench: per(before.bench, after.bench),
  };
}

async function cannon(options: Parameters<typeof autocannon>[0]): Promise<Result> {
  if (stopping) throw new Error('stopping');
  const instance = autocannon(options);
  runningCannons.add(instance);
  try {
    return await instance;
  } finally {
    runningCannons.delete(instance);
  }
}

/** GET `path` with autocannon: a warm-up, then the measured run. */
async function measureGet(workload: string, subject: Subject, urlPath: string): Promise<Row> {
  const url = subject.target.issuer + urlPath;
  if (WARMUP_S) await cannon({ url, connections: CONNECTIONS, duration: WARMUP_S });
  const before = cpuSnapshot(subject);
  const result = await cannon({ url, connections: CONNECTIONS, duration: DURATION_S });
  return toRow(workload, subject, result, cpuPer(before, cpuSnapshot(subject), result.requests.total));
}

/**
 * The token endpoint with grant_type=refresh_token. Rotation makes every refresh token single-use,
 * so each autocannon connection starts from its own token and chains: the response's new
 * refresh_token is used by that connection's next request.
 *
 * autocannon resets `context` each time a connection has gone through its `requests` array (here:
 * after every request), so the chain lives in a per-connection slot instead: each connection gets
 * its own deep copy of the request object, whose `connection` object is therefore the connection's
 * own; `context` only carries the slot from setupRequest to the matching onResponse.
 */
async function measureRefresh(subject: Subject, accounts: Credentials[]): Promise<Row> {
  const failures: string[] = [];
  // Fresh tokens right before each run: a run ends with requests in flight whose new tokens are never
  // read (breaking those chains), and the bare provider's in-memory adapter is an LRU of 1000 entries
  // that evicts tokens (and their grants) left unused while other requests write new ones.
  const run = async (duration: number, tokens: string[]) => {
    let nextSlot = 0;
    return cannon({
      url: subject.target.issuer,
      connections: CONNECTIONS,
      duration,
      requests: [
        {
          method: 'POST',
          path: subject.target.tokenEndpoint.pathname,
          headers: {
            authorization: basicAuth(subject.target.clientId, subject.target.clientSecret),
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'application/json',
          },
          connection: {},
          setupRequest(request, context) {
            const connection = request.connection as { slot?: number };
            connection.slot ??= nextSlot++;
            const token = tokens[connection.slot];
            if (!token) throw new Error(`no refresh token for connection ${connection.slot}`);
            context.slot = connection.slot;
            return { ...request, body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(token)}` };
          },
          onResponse(status, body, context) {
            if (status === 200) {
              const next = (JSON.parse(body) as { refresh_token?: string }).refresh_token;
              if (next) tokens[context.slot as number] = next;
              else failures.push('200 without a refresh_token');
            } else if (failures.length < 5) {
              failures.push(`${status} ${body.slice(0, 160)}`);
            }
          },
        },
      ],
    });
  };
  if (WARMUP_S) await run(WARMUP_S, await refreshTokens(subject.target, accounts, CONNECTIONS));
  const tokens = await refreshTokens(subject.target, accounts, CONNECTIONS);
  const before = cpuSnapshot(subject);
  const result = await run(DURATION_S, tokens);
  const row = toRow('token (refresh_token)', subject, result, cpuPer(before, cpuSnapshot(subject), result.requests.total));
  if (failures.length) row.note = failures.join(' | ');
  return row;
}

function toRow(workload: string, subject: Subject, result: Result, cpu: Row['cpu']): Row {
  const completed = result['2xx'] + result.non2xx;
  return {
    workload,
    server: subject.kind,
    rps: completed / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    cpu,
  };
}

const percentile = (sorted: number[], q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : NaN);

/** Full sign-ins: `SIGNIN_CONCURRENCY` browsers at once, cycling through the accounts, for a fixed time. */
async function measureSignIns(subject: Subject, accounts: Credentials[]): Promise<Row> {
  const run = async (seconds: number, limit: number) => {
    const latencies: number[] = [];
    const failures: string[] = [];
    let failed = 0;
    let next = 0;
    const start = performance.now();
    const deadline = start + seconds * 1000;
    const worker = async () => {
      while (!stopping && performance.now() < deadline && next < limit && failed < 50) {
        const credentials = accounts[next++ % accounts.length]!;
        const began = performance.now();
        try {
          await signIn(subject.target, credentials);
          latencies.push(performance.now() - began);
        } catch (error) {
          failed += 1;
          if (failures.length < 3) failures.push((error as Error).message);
        }
      }
    };
    await Promise.all(Array.from({ length: SIGNIN_CONCURRENCY }, worker));
    const elapsed = (performance.now() - start) / 1000;
    return { latencies: latencies.sort((a, b) => a - b), failed, failures, elapsed };
  };
  if (WARMUP_S) await run(WARMUP_S, MAX_SIGNINS);
  const before = cpuSnapshot(subject);
  const result = await run(DURATION_S, MAX_SIGNINS);
  const count = result.latencies.length;
  return {
    workload: 'full sign-in',
    server: subject.kind,
    rps: count / result.elapsed,
    p50: percentile(result.latencies, 0.5),
    p99: percentile(result.latencies, 0.99),
    non2xx: result.failed,
    errors: 0,
    cpu: cpuPer(before, cpuSnapshot(subject), count + result.failed),
    ...(result.failures.length ? { note: result.failures.join(' | ') } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Set-up

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The pid read for memory must be the node server itself (`node --import tsx` has no wrapper). */
function assertIsServer(server: ServerProcess): void {
  const cmd = commandLine(server.pid);
  if (!cmd.startsWith(process.execPath) || !cmd.includes('--import tsx')) throw new Error(`pid ${server.pid} is not the node server: ${cmd}`);
}

function temporaryDirectory(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idp-bench-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Accounts created through the app's own services (argon2id at the OWASP parameters), in parallel. */
async function createAccounts(env: Record<string, string>): Promise<Credentials[]> {
  const settings = loadSettings(env);
  const logger = createLogger('warn');
  const database = await createDatabase(settings.database);
  try {
    await migrateLatest(database.db);
    const services = createServices(settings, logger, database.db);
    const accounts = Array.from({ length: ACCOUNTS }, (_, i): Credentials => ({
      loginName: `bench_${String(i).padStart(4, '0')}`,
      password: PASSWORD,
      window: 'natural',
    }));
    // The hasher queues to the core count; the pool (10 connections) bounds the inserts.
    await Promise.all(
      accounts.map((account, i) =>
        services.accountService.create(
          { kind: 'natural', loginName: account.loginName, password: PASSWORD, mobile: `139${String(i).padStart(8, '0')}`, name: '基准测试' },
          { type: 'cli' },
        ),
      ),
    );
    return accounts;
  } finally {
    await database.close();
  }
}

/** One refresh token per autocannon connection, each from its own sign-in (offline_access, prompt=consent). */
async function refreshTokens(target: OidcTarget, accounts: Credentials[], count: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i += 8) {
    const batch = Array.from({ length: Math.min(8, count - i) }, (_, j) => accounts[(i + j) % accounts.length]!);
    const sets = await Promise.all(batch.map((account) => signIn(target, account, { offline: true })));
    tokens.push(...sets.map((set) => set.refresh_token!));
  }
  return tokens;
}

/** pg_stat_statements over a connection of the bench's own (BENCH_PG_STATS=1). */
async function statementStats(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('create extension if not exists pg_stat_statements');
  return {
    reset: async () => void (await client.query('select pg_stat_statements_reset()')),
    async print() {
      const { rows } = await client.query<{ calls: string; mean: number; total: number; query: string }>(
        `select calls, mean_exec_time + mean_plan_time as mean, total_exec_time + total_plan_time as total, query
         from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
         order by total desc limit 12`,
      );
      for (const row of rows) {
        console.log(`    ${String(row.calls).padStart(7)} × ${(row.mean * 1000).toFixed(0).padStart(5)} µs  ${row.query.replace(/\s+/g, ' ').slice(0, 110)}`);
      }
    },
    close: () => client.end(),
  };
}

// ---------------------------------------------------------------------------------------------
// Report

const fmt = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '—');
/** Three significant digits: CPU per request spans 0.04 ms (JWKS) to 30 ms (a sign-in). */
const cpuFmt = (ms: number) => (ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3));

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function report(
  rows: Row[],
  memory: { startup: Memory; idle: Memory; after: Memory; bareStartup: Memory; bareIdle: Memory; barePeak: Memory },
): boolean {
  const bare = (workload: string) => rows.find((row) => row.workload === workload && row.server === 'bare');
  const printed = rows.map((row) => {
    const base = bare(row.workload);
    const ratio = row.server === 'ours' && base ? row.rps / base.rps : 1;
    return [
      row.workload,
      row.server,
      fmt(row.rps, 0),
      fmt(row.p50),
      fmt(row.p99),
      fmt(ratio, 2),
      String(row.non2xx + row.errors),
      `${cpuFmt(row.cpu.server)} (${cpuFmt(row.cpu.serverSystem)}) / ${cpuFmt(row.cpu.pg)} / ${cpuFmt(row.cpu.bench)}`,
    ];
  });
  console.log(
    `\n${table(['workload', 'server', 'req/s', 'p50 ms', 'p99 ms', 'ratio', 'non-2xx', 'CPU ms/req: server (kernel) / pg / bench'], printed)}`,
  );
  console.log('(full sign-in: req/s = completed sign-ins per second, latency per whole sign-in, non-2xx = failed sign-ins)');
  console.log(
    `\nRSS (MB)     1.5 s after start-up   after ${IDLE_S} s idle   after load   peak (VmHWM)\n` +
      `our server   ${fmt(memory.startup.rssMb).padStart(20)}   ${fmt(memory.idle.rssMb).padStart(15)}   ${fmt(memory.after.rssMb).padStart(10)}   ${fmt(memory.after.peakMb).padStart(12)}\n` +
      `bare         ${fmt(memory.bareStartup.rssMb).padStart(20)}   ${fmt(memory.bareIdle.rssMb).padStart(15)}   ${fmt(memory.barePeak.rssMb).padStart(10)}   ${fmt(memory.barePeak.peakMb).padStart(12)}`,
  );

  const invalid = rows.filter((row) => row.non2xx + row.errors > 0);
  for (const row of rows.filter((r) => r.note)) console.log(`  ${row.workload} (${row.server}): ${row.note}`);
  if (invalid.length) {
    const bar = '!'.repeat(78);
    console.log(`\n${bar}\n!! INVALID BENCHMARK: non-2xx responses or errors in:`);
    for (const row of invalid) console.log(`!!   ${row.workload} (${row.server}): ${row.non2xx} non-2xx/failed, ${row.errors} socket errors/timeouts`);
    console.log(`${bar}`);
  }

  const ours = (workload: string) => rows.find((row) => row.workload === workload && row.server === 'ours');
  const checks: Array<[string, boolean | undefined, string]> = [];
  const ratioCheck = (workload: string, min: number) => {
    const [o, b] = [ours(workload), bare(workload)];
    if (o && b) checks.push([`${workload}: req/s ≥ ${min}× bare`, o.rps >= min * b.rps, `${fmt(o.rps / b.rps, 2)}×`]);
  };
  const p99Check = (workload: string) => {
    const [o, b] = [ours(workload), bare(workload)];
    if (o && b) checks.push([`${workload}: p99 ≤ ${TARGETS.p99Factor}× bare p99`, o.p99 <= TARGETS.p99Factor * b.p99, `${fmt(o.p99)} vs ${fmt(b.p99)} ms`]);
  };
  ratioCheck('discovery', TARGETS.staticRatio);
  ratioCheck('JWKS', TARGETS.staticRatio);
  ratioCheck('token (refresh_token)', TARGETS.tokenRatio);
  p99Check('discovery');
  p99Check('JWKS');
  p99Check('token (refresh_token)');
  const signIns = ours('full sign-in');
  if (signIns) checks.push([`full sign-ins ≥ ${TARGETS.signInsPerSecond}/s`, signIns.rps >= TARGETS.signInsPerSecond, `${fmt(signIns.rps)}/s`]);
  checks.push([`idle RSS < ${TARGETS.idleRssMb} MB (after ${IDLE_S} s idle)`, memory.idle.rssMb < TARGETS.idleRssMb, `${fmt(memory.idle.rssMb)} MB`]);
  checks.push([`RSS 1.5 s after start-up < ${TARGETS.idleRssMb} MB`, memory.startup.rssMb < TARGETS.idleRssMb, `${fmt(memory.startup.rssMb)} MB`]);
  checks.push(['benchmark valid (no non-2xx, no errors)', invalid.length === 0, invalid.length ? `${invalid.length} rows with errors` : 'ok']);

  console.log('\ntargets:');
  for (const [name, ok, value] of checks) console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${name.padEnd(44)} ${value}`);
  const signInBare = bare('full sign-in');
  if (signIns && signInBare) {
    console.log(
      `  info  full sign-in p99 ${fmt(signIns.p99)} ms vs bare ${fmt(signInBare.p99)} ms ` +
        '(the bare login hashes no password and stores nothing; not a target)',
    );
  }
  console.log(`  info  peak RSS (VmHWM) ${fmt(memory.after.peakMb)} MB`);
  return checks.every(([, ok]) => ok);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const [load1] = os.loadavg();
  console.log(
    `bench: node ${process.version}, ${os.availableParallelism()} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ` +
      `${DURATION_S} s per run after ${WARMUP_S} s warm-up, ${CONNECTIONS} connections, ` +
      `${ACCOUNTS} accounts, ${SIGNIN_CONCURRENCY} concurrent sign-ins`,
  );
  if (load1! > 0.5) console.log(`warning: the machine is already busy (load ${load1!.toFixed(2)}): figures will be noisy`);

  const work = temporaryDirectory();
  cluster = await startPostgresCluster({
    database: 'idp_bench',
    prefix: 'idp-bench-pg-',
    settings: PG_STATS ? { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' } : {},
  });
  const started = cluster;
  cleanups.push(() => stopPostgresCluster(started));
  console.log(`PostgreSQL cluster at ${cluster.url}`);

  const clientEntry = {
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    redirect_uris: [REDIRECT_URI],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    name: { 'zh-CN': '基准测试', en: 'Benchmark' },
    first_party: true,
    policy: { account_kinds: ['natural', 'legal'] },
  };
  const clientsFile = path.join(work, 'clients.json');
  fs.writeFileSync(clientsFile, JSON.stringify([clientEntry], null, 2));

  const [ourPort, barePort] = [await freePort(), await freePort()];
  const ourEnv: Record<string, string> = {
    NODE_ENV: 'test', // production refuses an http issuer
    HOST: '127.0.0.1',
    PORT: String(ourPort),
    ISSUER: `http://127.0.0.1:${ourPort}`,
    DATABASE_URL: cluster.url,
    DATA_DIR: path.join(work, 'data'),
    CLIENTS_FILE: clientsFile,
    PII_KEY,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    ADDRESS_LOGIN_FAILURES: '1000000',
  };

  const createStart = performance.now();
  const accounts = await createAccounts(ourEnv);
  console.log(`${accounts.length} accounts created in ${((performance.now() - createStart) / 1000).toFixed(1)} s`);

  // The bare provider gets exactly the metadata our server hands to oidc-provider.
  const registry = parseClients([clientEntry], {}, false);
  const bareClientsFile = path.join(work, 'bare-clients.json');
  fs.writeFileSync(bareClientsFile, JSON.stringify(registry.metadata));
  const ttl = loadSettings(ourEnv).ttl;

  const ours = await startServer({
    name: 'our server',
    script: 'src/main.ts',
    cwd: projectRoot,
    env: ourEnv,
    nodeArgs: PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.join(PROFILE_DIR, 'ours')}`] : [],
    baseUrl: ourEnv.ISSUER!,
    readyPath: '/readyz',
  });
  const oursReadyAt = performance.now();
  cleanups.push(() => ours.stop());
  assertIsServer(ours);
  // Memory just after start-up, then again once the server has sat idle (V8 gives back the young
  // generation grown while loading modules only after a while without work): both before any load.
  await sleep(1_500);
  const startup = readMemory(ours.pid);

  const bareProcess = await startServer({
    name: 'bare oidc-provider',
    script: 'bench/bare-provider.ts',
    cwd: projectRoot,
    env: {
      PORT: String(barePort),
      BARE_CLIENTS_FILE: bareClientsFile,
      BARE_FIRST_PARTY: JSON.stringify([CLIENT_ID]),
      BARE_TTL: JSON.stringify(ttl),
      NODE_ENV: 'test',
    },
    nodeArgs: PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.join(PROFILE_DIR, 'bare')}`] : [],
    baseUrl: `http://127.0.0.1:${barePort}`,
    readyPath: '/.well-known/openid-configuration',
  });
  cleanups.push(() => bareProcess.stop());
  assertIsServer(bareProcess);
  await sleep(1_500);
  const bareStartup = readMemory(bareProcess.pid);

  const idleWait = oursReadyAt + IDLE_S * 1000 - performance.now();
  if (idleWait > 0) {
    console.log(`our server pid ${ours.pid}: RSS ${fmt(startup.rssMb)} MB after start-up; waiting ${(idleWait / 1000).toFixed(0)} s idle…`);
    await sleep(idleWait);
  }
  const idle = readMemory(ours.pid);
  const bareIdle = readMemory(bareProcess.pid);
  console.log(
    `our server pid ${ours.pid}: RSS ${fmt(startup.rssMb)} MB 1.5 s after start-up, ${fmt(idle.rssMb)} MB after ${IDLE_S} s idle; ` +
      `bare pid ${bareProcess.pid}: ${fmt(bareStartup.rssMb)} MB, ${fmt(bareIdle.rssMb)} MB`,
  );

  const client = { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri: REDIRECT_URI };
  const subjects: Subject[] = [];
  for (const [kind, process_] of [['ours', ours], ['bare', bareProcess]] as const) {
    subjects.push({ kind, process: process_, target: await discover(process_.baseUrl, client) });
  }

  const statements = PG_STATS ? await statementStats(cluster.url) : undefined;
  if (statements) cleanups.push(() => statements.close());
  const rows: Row[] = [];
  // Each workload runs on both servers back to back, so drifting load on the machine hits both alike.
  const workloads: Array<[string, string, (subject: Subject) => Promise<Row>]> = [
    ['discovery', 'discovery', (s) => measureGet('discovery', s, '/.well-known/openid-configuration')],
    ['jwks', 'JWKS', (s) => measureGet('JWKS', s, '/jwks')],
    ['token', 'token (refresh_token)', (s) => measureRefresh(s, accounts)],
    ['signin', 'full sign-in', (s) => measureSignIns(s, accounts)],
  ];
  for (const [key, name, measure] of workloads) {
    if (ONLY && !ONLY.includes(key)) continue;
    for (const subject of subjects) {
      process.stdout.write(`${name} · ${subject.kind}… `);
      if (statements && subject.kind === 'ours') await statements.reset();
      const row = await measure(subject);
      rows.push(row);
      console.log(`${fmt(row.rps, 0)}/s, p99 ${fmt(row.p99)} ms${row.non2xx + row.errors ? `, ${row.non2xx + row.errors} FAILED` : ''}`);
      if (statements && subject.kind === 'ours') await statements.print();
    }
  }

  const after = readMemory(ours.pid);
  const barePeak = readMemory(bareProcess.pid);
  console.log(`load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const passed = report(rows, { startup, idle, after, bareStartup, bareIdle, barePeak });
  process.exitCode = passed ? 0 : 1;
}

main()
  .catch((error: unknown) => {
    console.error('\nbenchmark failed:', error);
    process.exitCode = 2;
  })
  .finally(async () => {
    await cleanUp();
  });
