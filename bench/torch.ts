/**
 * `npm run bench:torch -- --accounts N [--batch B] [--statements]` (default 100000; the target is
 * stated for 1000000): the Torch Center import (SPEC §8) on a throwaway PostgreSQL. --batch is
 * passed on to the import (default: the import's own); --statements adds PostgreSQL's time per
 * statement of the import (pg_stat_statements).
 *
 * Seeds the platform with accounts that send the legacy records into every case (E1–E4, P1–P4 and
 * both conflicts), streams N legacy records in every password scheme to a temp JSON Lines file,
 * runs `torch import` in a child process as operators do, and prints accounts per second, the
 * importer's peak RSS (VmHWM) and the count per case. Target: ≥ 20,000 accounts/s and < 300 MB.
 * The baseline, measured first on a cluster of its own seeded the same way: the same rows written
 * directly by the same statements (writeFloor), PostgreSQL's floor for the import.
 * Never part of `npm test`.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import bcrypt from 'bcryptjs';
import { createDatabase } from '../src/db/database.js';
import { migrateLatest } from '../src/db/migrate.js';
import { PiiCrypto } from '../src/security/pii-crypto.js';
import { orgNameKey } from '../src/accounts/org-name.js';
import { usccCheckCharacter } from '../src/accounts/identity-documents.js';
import { EntityAuthorizationRepository } from '../src/authorization/entity-authorization.repository.js';
import { DEFAULT_BATCH_SIZE } from '../src/migration/torch/torch-import.service.js';
import {
  TorchImportRepository,
  type LegacyPasswordRow,
  type LegalProfileRow,
  type NaturalProfileRow,
  type NewAccountRow,
  type OutcomeRow,
} from '../src/migration/torch/torch-import.repository.js';
import { runTogether } from '../src/db/statements.js';
import type { Db } from '../src/db/database.js';
import { projectRoot } from '../src/paths.js';
import { startPostgresCluster, stopPostgresCluster } from '../test/support/postgres-cluster.js';
import { readMemory } from './processes.js';

const { values } = parseArgs({ options: { accounts: { type: 'string' }, batch: { type: 'string' }, statements: { type: 'boolean' } }, strict: true });
const N = Number(values.accounts ?? 100_000);
if (!Number.isInteger(N) || N < 10) throw new Error('--accounts must be a whole number ≥ 10');

const TARGETS = { accountsPerSecond: 20_000, peakMb: 300 };
const PII_KEY = crypto.randomBytes(32).toString('hex');
const crypt = new PiiCrypto(Buffer.from(PII_KEY, 'hex'));

/** A valid USCC for record i (bad = its check character wrong). */
function uscc(i: number, bad = false): string {
  const body = `9111${String(i).padStart(13, '0')}`;
  const check = usccCheckCharacter(body);
  return body + (bad ? (check === '0' ? '1' : '0') : check);
}
const mobile = (i: number, other = false) => `1${other ? 5 : 3}${String(i).padStart(9, '0')}`;

/** The case record i is made to hit (the platform is seeded to match). */
const PLAN = ['E1', 'E2', 'E3', 'E4', 'P1', 'P2', 'P3', 'P4', 'conflict_uscc', 'conflict_hj'] as const;
const planOf = (i: number) => PLAN[i % PLAN.length]!;

const hex = (algorithm: string, text: string) => crypto.createHash(algorithm).update(text, 'utf8').digest('hex');
const PASSWORDS = [
  { password_scheme: 'md5', password_hash: hex('md5', 'old') },
  { password_scheme: 'md5_salt_prefix', password_hash: hex('md5', 'salt' + 'old'), password_salt: 'salt' },
  { password_scheme: 'md5_salt_suffix', password_hash: hex('md5', 'old' + 'salt'), password_salt: 'salt' },
  { password_scheme: 'sha1', password_hash: hex('sha1', 'old') },
  { password_scheme: 'sha256', password_hash: hex('sha256', 'old') },
  { password_scheme: 'sha256_salt_prefix', password_hash: hex('sha256', 'salt' + 'old'), password_salt: 'salt' },
  { password_scheme: 'sha256_salt_suffix', password_hash: hex('sha256', 'old' + 'salt'), password_salt: 'salt' },
  { password_scheme: 'bcrypt', password_hash: bcrypt.hashSync('old', 4) },
  { password_scheme: 'pbkdf2_sha256', password_hash: crypto.pbkdf2Sync('old', 'salt', 1000, 32, 'sha256').toString('hex'), password_salt: 'salt', pbkdf2_iterations: 1000 },
  { password_scheme: 'sm3', password_hash: hex('sm3', 'old') },
];

function legacyRecord(i: number): object {
  const plan = planOf(i);
  const password = PASSWORDS[Math.floor(i / PLAN.length) % PASSWORDS.length]!;
  if (plan.startsWith('P')) return { legacy_id: `L${i}`, kind: 'personal', login_name: mobile(i), name: '王火炬', mobile: mobile(i), ...password };
  return {
    legacy_id: `L${i}`, kind: 'enterprise', login_name: uscc(i, plan === 'conflict_uscc'), org_name: `火炬企业${i}`,
    mobile: mobile(i), email: `l${i}@example.cn`, contact_name: '李联系', ...password,
  };
}

async function writeExport(file: string): Promise<void> {
  const out = fs.createWriteStream(file);
  for (let i = 0; i < N; i++) {
    if (!out.write(JSON.stringify(legacyRecord(i)) + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/**
 * Platform accounts that send the records into their cases, inserted in chunks. Returns how many,
 * and for each record that links to one (E2, P2, P4) or is authorized by one (E4), its id.
 */
async function seed(db: Db): Promise<{ seeded: number; accountOf: Map<number, string> }> {
  const repository = new TorchImportRepository(db);
  const accountOf = new Map<number, string>();
  let seeded = 0;
  const CHUNK = 5000;
  for (let start = 0; start < N; start += CHUNK) {
    const accounts: NewAccountRow[] = [];
    const legal: LegalProfileRow[] = [];
    const natural: NaturalProfileRow[] = [];
    const verified: string[] = [];
    const add = (kind: 'natural' | 'legal', loginName: string, mobileNumber: string, usccOf?: string) => {
      const id = crypto.randomUUID();
      accounts.push({ id, kind, loginName, loginNameKey: loginName.toLowerCase(), mobileEncrypted: crypt.encrypt(mobileNumber), mobileIndex: crypt.blindIndex(mobileNumber), email: null });
      if (kind === 'legal') legal.push({ accountId: id, orgName: `平台单位${loginName}`, orgNameKey: orgNameKey(`平台单位${loginName}`), uscc: usccOf! });
      else natural.push({ accountId: id, name: '平台用户' });
      return id;
    };
    for (let i = start; i < Math.min(N, start + CHUNK); i++) {
      switch (planOf(i)) {
        case 'E2': accountOf.set(i, add('legal', uscc(i), mobile(i, true), uscc(i))); break;
        case 'E3': add('natural', uscc(i), mobile(i, true)); break;
        case 'E4': accountOf.set(i, add('legal', `bench_org_${i}`, mobile(i, true), uscc(i))); break;
        case 'P2': accountOf.set(i, add('natural', mobile(i), mobile(i))); break;
        case 'P3': add('natural', mobile(i), mobile(i, true)); break;
        case 'P4': {
          const id = add('natural', `bench_nat_${i}`, mobile(i));
          verified.push(id);
          accountOf.set(i, id);
          break;
        }
        case 'conflict_hj': add('natural', uscc(i), mobile(i, true)); add('natural', `HJ_${uscc(i)}`, mobile(i, true)); break;
        default: break;
      }
    }
    await db.transaction(async (trx) => {
      await runTogether(trx, [repository.accountsInsert(accounts), repository.naturalProfilesInsert(natural), repository.legalProfilesInsert(legal)]);
      if (verified.length) {
        await trx('accounts').whereIn('id', verified).update({ real_name_status: 'verified', real_name_verified_at: trx.fn.now() });
      }
    });
    seeded += accounts.length;
  }
  await db.raw('analyze');
  return { seeded, accountOf };
}

/**
 * The baseline: the rows the import writes for these records (accounts, profiles, legacy
 * passwords, grants, outcomes), made up directly and written by the same statements, one batch
 * after another, with no reading, look-ups or decisions. PostgreSQL's floor for this import.
 */
async function writeFloor(db: Db, accountOf: Map<number, string>, batchSize: number): Promise<void> {
  const repository = new TorchImportRepository(db);
  const authorizations = new EntityAuthorizationRepository(db);
  const runId = crypto.randomUUID();
  await repository.startRun({ id: runId, mode: 'apply', file: 'floor', actor: 'bench' });
  const ciphertext = crypt.encrypt(mobile(0));
  const password = { scheme: 'md5', hash: hex('md5', 'old'), salt: null, iterations: null };
  for (let start = 0; start < N; start += batchSize) {
    const accounts: NewAccountRow[] = [];
    const legal: LegalProfileRow[] = [];
    const natural: NaturalProfileRow[] = [];
    const passwords: LegacyPasswordRow[] = [];
    const grants: Array<{ legalAccountId: string; agentAccountId: string }> = [];
    const outcomes: OutcomeRow[] = [];
    for (let i = start; i < Math.min(N, start + batchSize); i++) {
      const plan = planOf(i);
      const personal = plan.startsWith('P');
      const login = personal ? mobile(i) : uscc(i, plan === 'conflict_uscc');
      const outcome = (fields: Partial<OutcomeRow>) =>
        outcomes.push({
          legacyId: `L${i}`, kind: personal ? 'personal' : 'enterprise', legacyLoginStored: personal ? ciphertext : login,
          legacyLoginKey: personal ? hex('sha256', login) : login, case: 'conflict', accountId: null, loginName: null, window: null,
          reason: null, line: i + 1, ...fields,
        });
      const make = (kind: 'natural' | 'legal', loginName: string) => {
        const id = crypto.randomUUID();
        accounts.push({ id, kind, loginName, loginNameKey: loginName.toLowerCase(), mobileEncrypted: ciphertext, mobileIndex: hex('sha256', mobile(i)), email: null });
        if (kind === 'legal') legal.push({ accountId: id, orgName: `火炬企业${i}`, orgNameKey: orgNameKey(`火炬企业${i}`), uscc: login });
        else natural.push({ accountId: id, name: '王火炬' });
        passwords.push({ accountId: id, ...password });
        outcome({ case: plan as OutcomeRow['case'], accountId: id, loginName, window: kind });
        return id;
      };
      switch (plan) {
        case 'E1': make('legal', login); break;
        case 'E3': make('legal', `HJ_${login}`); break;
        case 'E4': grants.push({ legalAccountId: accountOf.get(i)!, agentAccountId: make('natural', login) }); break;
        case 'P1': make('natural', login); break;
        case 'P3': make('natural', `HJ_${login}`); break;
        case 'E2': case 'P2': case 'P4':
          outcome({ case: plan, accountId: accountOf.get(i)!, loginName: login, window: plan === 'E2' ? 'legal' : 'natural' });
          break;
        default: outcome({ reason: plan === 'conflict_uscc' ? 'uscc_check_character' : 'hj_name_taken' });
      }
    }
    await runTogether(db, [
      repository.accountsInsert(accounts),
      repository.naturalProfilesInsert(natural),
      repository.legalProfilesInsert(legal),
      repository.legacyPasswordsInsert(passwords),
      authorizations.grantManyStatement(grants, { systems: ['hightech', 'sme'], origin: 'migration', grantedBy: 'bench' }),
      repository.outcomesInsert(outcomes, runId),
    ]);
  }
}

/** --statements: where PostgreSQL spent the import's time, by statement (pg_stat_statements). */
async function printStatements(url: string): Promise<void> {
  const database = await createDatabase({ kind: 'postgres', url });
  try {
    const { rows } = await database.db.raw(
      `select round(total_exec_time)::text as ms, calls::text, left(regexp_replace(query, '\\s+', ' ', 'g'), 100) as query
         from pg_stat_statements where query not like '%pg_stat_statements%' order by total_exec_time desc limit 15`,
    );
    console.log('PostgreSQL time by statement (ms, calls):');
    for (const row of rows as Array<{ ms: string; calls: string; query: string }>) {
      console.log(`${row.ms.padStart(8)} ${row.calls.padStart(9)}  ${row.query}`);
    }
  } finally {
    await database.close();
  }
}

/**
 * The baseline, on a cluster of its own (stopped before the import's starts, so neither run
 * shares caches or buffers with the other): seconds to write the rows.
 */
async function measureFloor(): Promise<number> {
  const cluster = await startPostgresCluster({ database: 'torch_floor', prefix: 'idp-bench-torch-floor-' });
  try {
    const database = await createDatabase({ kind: 'postgres', url: cluster.url });
    try {
      await migrateLatest(database.db);
      const { accountOf } = await seed(database.db);
      const t = Date.now();
      await writeFloor(database.db, accountOf, Number(values.batch ?? DEFAULT_BATCH_SIZE));
      return (Date.now() - t) / 1000;
    } finally {
      await database.close();
    }
  } finally {
    stopPostgresCluster(cluster);
  }
}

async function main(): Promise<void> {
  const floorSeconds = await measureFloor();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'torch-bench-'));
  const cluster = await startPostgresCluster({
    database: 'torch_bench',
    prefix: 'idp-bench-torch-',
    // Nested statements too: foreign-key checks show as their own lines.
    settings: values.statements ? { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' } : {},
  });
  const stop = () => {
    stopPostgresCluster(cluster);
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    stop();
    process.exit(130);
  });
  try {
    const database = await createDatabase({ kind: 'postgres', url: cluster.url });
    await migrateLatest(database.db);
    let t = Date.now();
    const { seeded } = await seed(database.db);
    console.log(`seeded ${seeded} platform accounts in ${((Date.now() - t) / 1000).toFixed(1)} s (and as many for the baseline)`);
    if (values.statements) await database.db.raw('create extension pg_stat_statements; select pg_stat_statements_reset()');
    await database.close();

    const file = path.join(tmp, 'torch-export.jsonl');
    t = Date.now();
    await writeExport(file);
    console.log(`wrote ${N} legacy records (${(fs.statSync(file).size / 1e6).toFixed(0)} MB) in ${((Date.now() - t) / 1000).toFixed(1)} s`);

    // BENCH_PROFILE=<dir>: the importer writes a V8 CPU profile there.
    const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(process.env.BENCH_PROFILE)] : [];
    const child = spawn(process.execPath, [...profile, '--import', 'tsx', 'src/cli/main.ts', 'torch', 'import', file, ...(values.batch ? ['--batch', values.batch] : [])], {
      cwd: projectRoot,
      env: { ...process.env, DATABASE_URL: cluster.url, PII_KEY, NODE_ENV: 'development', LOG_LEVEL: 'warn', NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    let peakMb = 0;
    const poll = setInterval(() => {
      try {
        peakMb = Math.max(peakMb, readMemory(child.pid!).peakMb);
      } catch {
        // exited between polls: the last reading stands
      }
    }, 100);
    t = Date.now();
    const [code] = (await once(child, 'exit')) as [number];
    const seconds = (Date.now() - t) / 1000;
    clearInterval(poll);
    if (code !== 0) throw new Error(`torch import exited with ${code}:\n${stderr.slice(-4000)}`);

    const summary = stdout.split('\n').filter((line) => /^(records|E1|run)/.test(line));
    const rate = N / seconds;
    console.log(summary.join('\n'));
    console.log(`imported ${N} legacy accounts in ${seconds.toFixed(1)} s: ${Math.round(rate)} accounts/s (process start included)`);
    const floorRate = N / floorSeconds;
    console.log(
      `baseline, the same rows written directly (no reading, look-ups or decisions), one batch after another: ` +
        `${floorSeconds.toFixed(1)} s, ${Math.round(floorRate)} accounts/s; the import runs at ${(rate / floorRate).toFixed(2)}× the baseline`,
    );
    console.log(`importer peak RSS (VmHWM): ${peakMb.toFixed(0)} MB`);
    console.log(`${rate >= TARGETS.accountsPerSecond ? 'PASS' : 'FAIL'} ≥ ${TARGETS.accountsPerSecond} accounts/s`);
    console.log(`${peakMb < TARGETS.peakMb ? 'PASS' : 'FAIL'} peak RSS < ${TARGETS.peakMb} MB`);
    if (values.statements) await printStatements(cluster.url);
  } finally {
    stop();
  }
}

await main();
