/** The Torch Center import (SPEC §8) end to end: the CLI against the test PostgreSQL, every case and conflict. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { createLegalAccount, createNaturalAccount, uniqueUscc } from '../support/accounts.js';
import { runCli } from '../support/cli.js';
import { startTestApp, unique, uniqueMobile, type TestApp } from '../support/test-app.js';

type Fields = Record<string, string | number | null>;
interface Expected {
  case: string;
  loginName?: string;
  window?: string | null;
  reason?: string;
  /** What the import creates for it. */
  creates?: 'legal' | 'natural';
  mobile?: string;
  scheme?: string;
  /** E4: the legal account that grants the authorization. */
  grantor?: string;
  /** E2, P2, P4: the existing account it is linked to. */
  linked?: string;
}

const hex = (algorithm: string, text: string) => crypto.createHash(algorithm).update(text, 'utf8').digest('hex');

/** Password fields in each scheme the legacy system used, in turn. */
function passwordFields(i: number): Fields {
  const salt = `s${i}`;
  const fields: Fields[] = [
    { password_scheme: 'md5', password_hash: hex('md5', 'old-pass') },
    { password_scheme: 'md5_salt_prefix', password_hash: hex('md5', salt + 'old-pass'), password_salt: salt },
    { password_scheme: 'md5_salt_suffix', password_hash: hex('md5', 'old-pass' + salt), password_salt: salt },
    { password_scheme: 'sha1', password_hash: hex('sha1', 'old-pass').toUpperCase() },
    { password_scheme: 'sha256', password_hash: hex('sha256', 'old-pass') },
    { password_scheme: 'sha256_salt_prefix', password_hash: hex('sha256', salt + 'old-pass'), password_salt: salt },
    { password_scheme: 'sha256_salt_suffix', password_hash: hex('sha256', 'old-pass' + salt), password_salt: salt },
    { password_scheme: 'bcrypt', password_hash: BCRYPT_HASH },
    { password_scheme: 'pbkdf2_sha256', password_hash: crypto.pbkdf2Sync('old-pass', salt, 1000, 32, 'sha256').toString('hex'), password_salt: salt, pbkdf2_iterations: 1000 },
    { password_scheme: 'sm3', password_hash: hex('sm3', 'old-pass') },
  ];
  return fields[i % fields.length]!;
}
const BCRYPT_HASH = bcrypt.hashSync('old-pass', 4);

const FIELDS = ['legacy_id', 'kind', 'login_name', 'password_scheme', 'password_hash', 'password_salt', 'pbkdf2_iterations', 'org_name', 'name', 'mobile', 'email', 'contact_name'];

/** A USCC with its check character wrong. */
function badCheckUscc(): string {
  const good = uniqueUscc();
  const alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  return good.slice(0, 17) + alphabet[(alphabet.indexOf(good[17]!) + 1) % alphabet.length];
}

/**
 * Seeds the platform and writes an export whose records hit every case and every conflict; some
 * records affect later ones of the same file (an E1 then its USCC again, a P1 then its mobile again).
 */
async function scenario(app: TestApp) {
  const records: Fields[] = [];
  const expected = new Map<string, Expected>();
  const prefix = unique('legacy');
  let n = 0;
  const enterprise = (uscc: string, extra: Fields = {}) => {
    const id = `${prefix}-${++n}`;
    records.push({ legacy_id: id, kind: 'enterprise', login_name: uscc, org_name: `火炬测试企业${unique('')}`, mobile: uniqueMobile(), email: `${id}@example.cn`, contact_name: '李联系', ...passwordFields(n), ...extra });
    return id;
  };
  const person = (mobile: string, extra: Fields = {}) => {
    const id = `${prefix}-${++n}`;
    records.push({ legacy_id: id, kind: 'personal', login_name: mobile, name: '王火炬', mobile, ...passwordFields(n), ...extra });
    return id;
  };
  const mobileOf = (id: string) => records.find((r) => r.legacy_id === id)!.mobile as string;
  const schemeOf = (id: string) => records.find((r) => r.legacy_id === id)!.password_scheme as string;

  // E1: nothing on the platform.
  const u1 = uniqueUscc();
  const e1 = enterprise(u1);
  expected.set(e1, { case: 'E1', loginName: u1, window: 'legal', creates: 'legal', mobile: mobileOf(e1), scheme: schemeOf(e1) });
  // E2: u is the login name of the unit's own legal account (in another case).
  const u2 = uniqueUscc();
  const own = await createLegalAccount(app, { loginName: u2.toLowerCase(), uscc: u2 });
  expected.set(enterprise(u2), { case: 'E2', loginName: u2.toLowerCase(), window: 'legal', linked: own.account.id });
  // E4: the unit has legal accounts under other names; the claim holder grants, though not the oldest.
  const u4 = uniqueUscc();
  await createLegalAccount(app, { uscc: u4 });
  const claimed = await createLegalAccount(app, { uscc: u4 });
  await app.context.db('entity_claims').insert({ uscc: u4, account_id: claimed.account.id, method: 'manual', verified_at: new Date() });
  const e4 = enterprise(u4);
  expected.set(e4, { case: 'E4', loginName: u4, window: 'natural', creates: 'natural', mobile: mobileOf(e4), scheme: schemeOf(e4), grantor: claimed.account.id });
  // E4 with u taken (by a natural account): HJ_u; no claim: the oldest legal account grants.
  const u4b = uniqueUscc();
  const oldest = await createLegalAccount(app, { uscc: u4b });
  await createLegalAccount(app, { uscc: u4b });
  await createNaturalAccount(app, { loginName: u4b });
  const e4b = enterprise(u4b);
  expected.set(e4b, { case: 'E4', loginName: `HJ_${u4b}`, window: 'natural', creates: 'natural', mobile: mobileOf(e4b), scheme: schemeOf(e4b), grantor: oldest.account.id });
  // E3: u taken by a natural account, and by a different entity's legal account.
  const u3 = uniqueUscc();
  await createNaturalAccount(app, { loginName: u3 });
  const e3 = enterprise(u3);
  expected.set(e3, { case: 'E3', loginName: `HJ_${u3}`, window: 'legal', creates: 'legal', mobile: mobileOf(e3), scheme: schemeOf(e3) });
  const u3b = uniqueUscc();
  await createLegalAccount(app, { loginName: u3b });
  const e3b = enterprise(u3b);
  expected.set(e3b, { case: 'E3', loginName: `HJ_${u3b}`, window: 'legal', creates: 'legal', mobile: mobileOf(e3b), scheme: schemeOf(e3b) });
  // Conflicts: the check character; HJ_u taken too (E3 and E4); no mobile for the account to make.
  expected.set(enterprise(badCheckUscc()), { case: 'conflict', reason: 'uscc_check_character' });
  const u3c = uniqueUscc();
  await createNaturalAccount(app, { loginName: u3c });
  await createNaturalAccount(app, { loginName: `hj_${u3c}` });
  expected.set(enterprise(u3c), { case: 'conflict', reason: 'hj_name_taken' });
  const u4c = uniqueUscc();
  await createLegalAccount(app, { uscc: u4c });
  await createNaturalAccount(app, { loginName: u4c });
  await createNaturalAccount(app, { loginName: `HJ_${u4c}` });
  expected.set(enterprise(u4c), { case: 'conflict', reason: 'hj_name_taken' });
  expected.set(enterprise(uniqueUscc(), { mobile: null }), { case: 'conflict', reason: 'mobile_missing' });

  // P2: p is a natural account reserving p.
  const p2 = uniqueMobile();
  const p2Account = await createNaturalAccount(app, { loginName: p2, mobile: p2 });
  expected.set(person(p2), { case: 'P2', loginName: p2, window: 'natural', linked: p2Account.account.id });
  // P3: p taken by a natural account with another mobile, and by a legal account.
  const p3 = uniqueMobile();
  await createNaturalAccount(app, { loginName: p3 });
  const r3 = person(p3);
  expected.set(r3, { case: 'P3', loginName: `HJ_${p3}`, window: 'natural', creates: 'natural', mobile: p3, scheme: schemeOf(r3) });
  const p3b = uniqueMobile();
  await createLegalAccount(app, { loginName: p3b });
  const r3b = person(p3b);
  expected.set(r3b, { case: 'P3', loginName: `HJ_${p3b}`, window: 'natural', creates: 'natural', mobile: p3b, scheme: schemeOf(r3b) });
  // P4: p free, but a verified natural account reserves it.
  const p4 = uniqueMobile();
  const verified = await createNaturalAccount(app, { mobile: p4, realNameVerified: true });
  expected.set(person(p4), { case: 'P4', loginName: verified.loginName, window: 'natural', linked: verified.account.id });
  // An unverified account reserving p does not make P4.
  const p1b = uniqueMobile();
  await createNaturalAccount(app, { mobile: p1b });
  const r1b = person(p1b);
  expected.set(r1b, { case: 'P1', loginName: p1b, window: 'natural', creates: 'natural', mobile: p1b, scheme: schemeOf(r1b) });
  // P1, named by its contact when it has no name.
  const p1 = uniqueMobile();
  const r1 = person(p1, { name: null, contact_name: '赵联系' });
  expected.set(r1, { case: 'P1', loginName: p1, window: 'natural', creates: 'natural', mobile: p1, scheme: schemeOf(r1) });
  // HJ_p taken too.
  const p3c = uniqueMobile();
  await createNaturalAccount(app, { loginName: p3c });
  await createNaturalAccount(app, { loginName: `HJ_${p3c}` });
  expected.set(person(p3c), { case: 'conflict', reason: 'hj_name_taken' });

  // Records of one file affect later ones: E1 makes u5's legal account, so u5 again is E2;
  // P1 makes p6's account, so p6 again is P2 (same batch or a later one, whatever the batch size).
  const u5 = uniqueUscc();
  const e5 = enterprise(u5);
  expected.set(e5, { case: 'E1', loginName: u5, window: 'legal', creates: 'legal', mobile: mobileOf(e5), scheme: schemeOf(e5) });
  const p6 = uniqueMobile();
  const r6 = person(p6);
  expected.set(r6, { case: 'P1', loginName: p6, window: 'natural', creates: 'natural', mobile: p6, scheme: schemeOf(r6) });
  expected.set(enterprise(u5.toLowerCase()), { case: 'E2', loginName: u5, window: 'legal' });
  expected.set(person(p6), { case: 'P2', loginName: p6, window: 'natural' });

  // Malformed records with a legacy id: conflicts with their reason.
  expected.set(enterprise(uniqueUscc(), { kind: 'company' }), { case: 'conflict', reason: 'unknown_kind' });
  expected.set(person(uniqueMobile(), { password_hash: 'not-a-digest' }), { case: 'conflict', reason: 'password_hash' });
  expected.set(person(uniqueMobile(), { password_scheme: 'rot13' }), { case: 'conflict', reason: 'password_scheme' });
  expected.set(person('12345'), { case: 'conflict', reason: 'bad_mobile' });
  expected.set(enterprise(uniqueUscc(), { org_name: null }), { case: 'conflict', reason: 'missing_org_name' });
  // And one without: reported by line only.
  records.push({ kind: 'personal', login_name: uniqueMobile(), name: '无编号', ...passwordFields(0) });
  return { records, expected, prefix };
}

function writeExport(records: Fields[], format: 'jsonl' | 'csv', extraLines: string[] = []): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'torch-')), `export.${format}`);
  const quote = (value: unknown) => (value === null || value === undefined ? '' : `"${String(value).replace(/"/g, '""')}"`);
  const lines =
    format === 'jsonl'
      ? records.map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null))))
      : [FIELDS.join(','), ...records.map((r) => FIELDS.map((f) => quote(r[f])).join(','))];
  fs.writeFileSync(file, [...lines, ...extraLines].join('\n') + '\n');
  return file;
}

describe('torch import', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  const outcomesOf = (prefix: string) => app.context.db('torch_outcomes').where('legacy_id', 'like', `${prefix}-%`).orderBy('legacy_id');

  async function assertOutcomes(expected: Map<string, Expected>) {
    const db = app.context.db;
    for (const [legacyId, want] of expected) {
      const outcome = await db('torch_outcomes').where({ legacy_id: legacyId }).first();
      expect({ legacyId, case: outcome?.case, reason: outcome?.reason }).toEqual({ legacyId, case: want.case, reason: want.reason ?? null });
      if (want.case === 'conflict') {
        expect(outcome.account_id).toBeNull();
        continue;
      }
      expect(outcome).toMatchObject({ login_name: want.loginName, window: want.window });
      if (want.linked) expect(outcome.account_id).toBe(want.linked);
      if (!want.creates) continue;
      const account = await db('accounts').where({ id: outcome.account_id }).first();
      expect(account).toMatchObject({ kind: want.creates, login_name: want.loginName, password_hash: null, status: 'active', real_name_status: 'unverified' });
      expect(app.context.crypt.decrypt(account.mobile_encrypted)).toBe(want.mobile);
      expect(await db('legacy_passwords').where({ account_id: account.id }).first()).toMatchObject({ scheme: want.scheme });
      const profile = await db(want.creates === 'legal' ? 'legal_profiles' : 'natural_profiles').where({ account_id: account.id }).first();
      expect(profile).toBeDefined();
      if (want.creates === 'legal') expect(profile).toMatchObject({ uscc: want.loginName!.replace(/^HJ_/, ''), registration_region: 'domestic', org_type: 'enterprise' });
      const grants = await db('entity_authorizations').where({ agent_account_id: account.id });
      if (want.grantor) {
        expect(grants).toHaveLength(1);
        expect(grants[0]).toMatchObject({ legal_account_id: want.grantor, systems: ['hightech', 'sme'], origin: 'migration', status: 'active' });
      } else expect(grants).toHaveLength(0);
    }
  }

  test.each(['jsonl', 'csv'] as const)('when a %s export covering every case is applied, then each legacy account gets its exact outcome and the accounts it needs', async (format) => {
    const { records, expected, prefix } = await scenario(app);
    const file = writeExport(records, format, format === 'jsonl' ? ['{"legacy_id": broken'] : []);
    const result = await runCli(['torch', 'import', file, '--batch', '4']);
    expect(result.code).toBe(0);
    await assertOutcomes(expected);
    expect(await outcomesOf(prefix)).toHaveLength(expected.size);
    // Every conflict is listed with its line; malformed lines without a legacy id too.
    for (const [legacyId, want] of expected) {
      if (want.case === 'conflict') expect(result.stdout).toMatch(new RegExp(`conflict +line \\d+ +legacy_id ${legacyId} +${want.reason}`));
    }
    const lineOfNoId = format === 'jsonl' ? records.length : records.length + 1;
    expect(result.stdout).toContain(`malformed  line ${lineOfNoId}  missing_legacy_id`);
    if (format === 'jsonl') expect(result.stdout).toContain(`malformed  line ${records.length + 1}  bad_json`);
    expect(result.stdout).toContain(`records ${records.length + (format === 'jsonl' ? 1 : 0)}, malformed ${format === 'jsonl' ? 7 : 6}, decided ${expected.size}, already decided 0, accounts created 11`);
    expect(result.stdout).toContain('E1 2  E2 2  E3 2  E4 2  P1 3  P2 2  P3 2  P4 1  conflict 10');
    const audit = await app.context.db('audit_events').where({ event: 'torch.run', actor_type: 'cli' }).orderBy('id', 'desc').first();
    expect(audit.details).toMatchObject({ mode: 'apply', decided: expected.size, accountsCreated: 11 });
  });

  test('when a dry run precedes the apply, then it changes nothing and reports exactly what the apply then does; a second apply creates nothing', async () => {
    const { records, expected, prefix } = await scenario(app);
    const file = writeExport(records, 'jsonl');
    const db = app.context.db;
    const names = records.flatMap((r) => [String(r.login_name).toLowerCase(), `hj_${String(r.login_name).toLowerCase()}`]);
    const tableCounts = async () => ({
      accounts: Number((await db('accounts').whereIn('login_name_key', names).count('* as n'))[0]!.n),
      outcomes: (await outcomesOf(prefix)).length,
      legacyPasswords: Number((await db('legacy_passwords as p').join('accounts as a', 'a.id', 'p.account_id').whereIn('a.login_name_key', names).count('* as n'))[0]!.n),
      grants: Number((await db('entity_authorizations as z').join('accounts as a', 'a.id', 'z.agent_account_id').whereIn('a.login_name_key', names).count('* as n'))[0]!.n),
    });
    const before = await tableCounts();

    const dry = await runCli(['torch', 'import', file, '--dry-run', '--batch', '3']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('dry run: nothing is changed');
    expect(await tableCounts()).toEqual(before);
    const dryRun = await db('torch_runs').where({ mode: 'dry_run', file }).first();
    expect(dryRun).toMatchObject({ status: 'completed' });

    const apply = await runCli(['torch', 'import', file, '--batch', '3']);
    expect(apply.code).toBe(0);
    const report = (stdout: string) => stdout.split('\n').filter((line) => /^(conflict|malformed|records|E1)/.test(line));
    expect(report(dry.stdout)).toEqual(report(apply.stdout));
    await assertOutcomes(expected);
    const applied = await tableCounts();
    expect(applied).toEqual({ accounts: before.accounts + 11, outcomes: expected.size, legacyPasswords: 11, grants: 2 });

    const again = await runCli(['torch', 'import', file, '--batch', '5']);
    expect(again.code).toBe(0);
    expect(await tableCounts()).toEqual(applied);
    expect(again.stdout).toContain(`decided 0, already decided ${expected.size}, accounts created 0`);
    expect(again.stdout.split('\n').find((l) => l.startsWith('E1'))).toBe(apply.stdout.split('\n').find((l) => l.startsWith('E1')));
    expect(report(again.stdout).filter((l) => l.startsWith('conflict'))).toEqual(report(apply.stdout).filter((l) => l.startsWith('conflict')));
  });

  test('when the import crashes after its second batch, then a second run resumes without duplicates or losses', async () => {
    const { records, expected, prefix } = await scenario(app);
    const file = writeExport(records, 'jsonl');
    const crash = app.context.torchImport.run({
      file,
      mode: 'apply',
      batchSize: 4,
      afterBatch: (batch) => {
        if (batch === 2) throw new Error('simulated crash');
      },
    });
    await expect(crash).rejects.toThrow('simulated crash');
    expect(await outcomesOf(prefix)).toHaveLength(8);
    // Each batch's write marks the run alive: its heartbeat is that of the second batch's.
    const crashed = await app.context.db('torch_runs').where({ file }).first();
    expect(crashed.heartbeat_at.getTime()).toBeGreaterThan(crashed.started_at.getTime());
    // This export's run (other files' runs may be newer).
    expect(await app.context.db('torch_runs').where({ file }).first()).toMatchObject({ status: 'failed', mode: 'apply' });

    const resumed = await app.context.torchImport.run({ file, mode: 'apply', batchSize: 4 });
    expect(resumed.counts).toMatchObject({ decided: expected.size - 8, alreadyDecided: 8 });
    expect(resumed.counts.cases).toEqual({ E1: 2, E2: 2, E3: 2, E4: 2, P1: 3, P2: 2, P3: 2, P4: 1, conflict: 10 });
    expect(await outcomesOf(prefix)).toHaveLength(expected.size);
    await assertOutcomes(expected);
    const made = await app.context.db('torch_outcomes').where('legacy_id', 'like', `${prefix}-%`).whereNotNull('account_id').pluck('account_id');
    // Only the in-file E2 and P2 share an account: the one their earlier twin made.
    expect(new Set(made).size).toBe(made.length - 2);
  });

  test('when a platform user registers a name the import has planned to take, then that batch is decided again and the record takes its HJ_ name', async () => {
    const [first, taken] = [uniqueUscc(), uniqueUscc()];
    const ids = [unique('legacy'), unique('legacy')];
    const file = writeExport(
      [first, taken].map((uscc, i) => ({ legacy_id: ids[i]!, kind: 'enterprise', login_name: uscc, org_name: `火炬竞争企业${i}`, mobile: uniqueMobile(), contact_name: '孙联系', ...passwordFields(i) })),
      'jsonl',
    );
    const run = await app.context.torchImport.run({
      file,
      mode: 'apply',
      batchSize: 1,
      // The second batch is decided while the first is written; the name goes before it is written.
      afterBatch: async (batch) => {
        if (batch !== 1) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
        await createNaturalAccount(app, { loginName: taken });
      },
    });
    expect(run.counts).toMatchObject({ decided: 2, accountsCreated: 2 });
    expect(await app.context.db('torch_outcomes').where({ legacy_id: ids[1] }).first()).toMatchObject({ case: 'E3', login_name: `HJ_${taken}` });
    expect(await app.context.db('accounts').where({ login_name: `HJ_${taken}` }).first()).toMatchObject({ kind: 'legal' });
  });

  test('when two imports of exports naming the same units run at once, then each unit gets one legal account, made by one and linked by the other', async () => {
    const usccs = Array.from({ length: 12 }, () => uniqueUscc());
    const exportOf = (tag: string) =>
      writeExport(
        usccs.map((uscc, i) => ({ legacy_id: `${tag}-${i}`, kind: 'enterprise', login_name: uscc, org_name: `火炬并发企业${i}`, mobile: uniqueMobile(), contact_name: '周联系', ...passwordFields(i) })),
        'jsonl',
      );
    const [a, b] = [unique('legacy'), unique('legacy')];
    const runs = await Promise.all([a, b].map((tag) => app.context.torchImport.run({ file: exportOf(tag), mode: 'apply', batchSize: 3 })));
    expect(runs.map((run) => run.counts.decided)).toEqual([12, 12]);
    const db = app.context.db;
    for (const [i, uscc] of usccs.entries()) {
      const legal = await db('legal_profiles').where({ uscc });
      expect(legal).toHaveLength(1);
      const outcomes = await db('torch_outcomes').whereIn('legacy_id', [`${a}-${i}`, `${b}-${i}`]).orderBy('case');
      expect(outcomes.map((o) => [o.case, o.account_id, o.login_name])).toEqual([
        ['E1', legal[0].account_id, uscc],
        ['E2', legal[0].account_id, uscc],
      ]);
    }
  });

  test('when the report is asked for, then it summarises the latest run with its conflicts, or gives one JSON line per outcome', async () => {
    const { records, expected, prefix } = await scenario(app);
    const file = writeExport(records, 'csv');
    const imported = await runCli(['torch', 'import', file]);
    expect(imported.code).toBe(0);
    const runId = /^run (\S+) applied$/m.exec(imported.stdout)![1]!;

    // Other test files import meanwhile: the newest run need not be ours, so ask for ours by id.
    const latest = await runCli(['torch', 'report']);
    expect(latest.stdout).toMatch(/^latest run \S+: /);
    const text = await runCli(['torch', 'report', '--run', runId]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^run ${runId}: apply completed, .*export\\.csv`));
    expect(text.stdout).toContain(`decided ${expected.size}, already decided 0, accounts created 11`);
    for (const [legacyId, want] of expected) {
      if (want.case === 'conflict') expect(text.stdout).toMatch(new RegExp(`legacy_id ${legacyId} .* ${want.reason}`));
    }

    const json = await runCli(['torch', 'report', '--json']);
    expect(json.code).toBe(0);
    const lines = json.stdout.trim().split('\n').map((line) => JSON.parse(line)).filter((o) => o.legacy_id.startsWith(`${prefix}-`));
    expect(lines).toHaveLength(expected.size);
    const e1 = [...expected].find(([, w]) => w.case === 'E1')!;
    const e1Record = records.find((r) => r.legacy_id === e1[0])!;
    expect(lines.find((o) => o.legacy_id === e1[0])).toEqual({
      legacy_id: e1[0], kind: 'enterprise', legacy_login: e1Record.login_name, case: 'E1', login_name: e1[1].loginName, window: 'legal', reason: null,
    });
    const p1 = [...expected].find(([, w]) => w.case === 'P1')!;
    expect(lines.find((o) => o.legacy_id === p1[0])).toMatchObject({ kind: 'personal', legacy_login: p1[1].mobile, case: 'P1', window: 'natural' });
    const unknownKind = [...expected].find(([, w]) => w.reason === 'unknown_kind')!;
    expect(lines.find((o) => o.legacy_id === unknownKind[0])).toMatchObject({ kind: null, legacy_login: null, case: 'conflict', login_name: null, window: null });
  });

  test('when TORCH_AUTHORIZED_SYSTEMS names the systems, then an E4 account is authorized for those', async () => {
    const uscc = uniqueUscc();
    const legal = await createLegalAccount(app, { uscc });
    const legacyId = unique('legacy');
    const file = writeExport([{ legacy_id: legacyId, kind: 'enterprise', login_name: uscc, org_name: '火炬系统单位', mobile: uniqueMobile(), contact_name: '钱联系', ...passwordFields(1) }], 'jsonl');
    expect((await runCli(['torch', 'import', file], undefined, { TORCH_AUTHORIZED_SYSTEMS: 'hightech, awards' })).code).toBe(0);
    const outcome = await app.context.db('torch_outcomes').where({ legacy_id: legacyId }).first();
    expect(outcome).toMatchObject({ case: 'E4', login_name: uscc });
    expect(await app.context.db('entity_authorizations').where({ agent_account_id: outcome.account_id }).first()).toMatchObject({ legal_account_id: legal.account.id, systems: ['awards', 'hightech'] });
  });

  test('when the command is called wrongly, then the usage is printed with exit code 2', async () => {
    expect((await runCli(['torch', 'import'])).code).toBe(2);
    expect((await runCli(['torch', 'import', '/nonexistent/export.jsonl'])).stderr).toContain('no such file');
    expect((await runCli(['torch', 'import', writeExport([], 'jsonl'), '--batch', '0'])).code).toBe(2);
  });
});
