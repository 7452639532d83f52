/** The operator CLI as operators run it (a child process), against the test PostgreSQL. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { runCli } from '../support/cli.js';
import { uniqueUscc } from '../support/accounts.js';
import { STRONG_PASSWORD, testDatabaseUrl, unique, uniqueMobile } from '../support/test-app.js';


const cli = (args: string[], input?: string) => runCli(args, input);

describe('operator CLI', () => {
  const db = knexFactory({ client: 'pg', connection: testDatabaseUrl() });
  afterAll(() => db.destroy());

  test('when a verified legal account is created, then it is stored real-name verified with its USCC and audited', async () => {
    const login = unique('cli_org');
    const uscc = uniqueUscc();
    const result = await cli(['account', 'create', '--kind', 'legal', '--login', login, '--password', STRONG_PASSWORD, '--mobile', uniqueMobile(), '--org-name', '测试单位', '--uscc', uscc, '--verified']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`created legal account ${login}`);
    const row = await db('accounts as a').join('legal_profiles as l', 'l.account_id', 'a.id').where('a.login_name', login).first('a.id', 'a.real_name_status', 'l.uscc', 'a.mobile_encrypted');
    expect(row).toMatchObject({ real_name_status: 'verified', uscc });
    expect(row.mobile_encrypted).toMatch(/^v1\./);
    const audit = await db('audit_events').where({ event: 'account.created', subject_id: row.id }).first();
    expect(audit).toMatchObject({ outcome: 'success', actor_type: 'cli' });
  });

  test('when the password comes on standard input, then the natural account is created with it', async () => {
    const login = unique('cli_nat');
    const result = await cli(['account', 'create', '--kind', 'natural', '--login', login, '--password-stdin', '--mobile', uniqueMobile(), '--name', '张三'], `${STRONG_PASSWORD}\n`);
    expect(result.code).toBe(0);
    const row = await db('accounts').where('login_name', login).first('password_hash');
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  test('when the data is invalid, then each bad flag is named with its rule and nothing is stored', async () => {
    const login = unique('cli_bad');
    const result = await cli(['account', 'create', '--kind', 'legal', '--login', login, '--password', 'short', '--mobile', '12345', '--org-name', '单位', '--uscc', '91110108MA01ET88X1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--password: 密码至少 8 位');
    expect(result.stderr).toContain('--mobile: 请输入正确的 11 位手机号码');
    expect(result.stderr).toContain('--uscc: 统一社会信用代码校验位不正确');
    expect(await db('accounts').where('login_name', login).first()).toBeUndefined();
  });

  test('when a login name is taken in another case, then creation is refused', async () => {
    const login = unique('Cli_Case');
    expect((await cli(['account', 'create', '--kind', 'natural', '--login', login, '--password', STRONG_PASSWORD, '--mobile', uniqueMobile(), '--name', '甲'])).code).toBe(0);
    const again = await cli(['account', 'create', '--kind', 'natural', '--login', login.toUpperCase(), '--password', STRONG_PASSWORD, '--mobile', uniqueMobile(), '--name', '乙']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('--login: 该登录名已被注册');
  });

  test('when a flag is missing or unknown, then the usage is printed with exit code 2', async () => {
    const missing = await cli(['account', 'create', '--kind', 'natural', '--login', unique('x')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing --mobile, --name');
    const unknown = await cli(['account', 'create', '--bogus']);
    expect(unknown.code).toBe(2);
    expect((await cli(['frobnicate'])).code).toBe(2);
  });

  test('when keys are rotated, then the new key signs (at once with --now), the one it replaces is retired but still published, and each rotation is audited', async () => {
    const first = await cli(['keys', 'rotate', '--now']);
    expect(first.code).toBe(0);
    const firstKid = /new signing key (\S+),/.exec(first.stdout)![1]!;
    const second = await cli(['keys', 'rotate', '--now']);
    expect(second.code).toBe(0);
    const secondKid = /new signing key (\S+),/.exec(second.stdout)![1]!;
    expect(second.stdout).toContain(`retired ${firstKid}`);

    const listed = await cli(['keys', 'list']);
    expect(listed.stdout).toMatch(new RegExp(`${secondKid} .* signing`));
    expect(listed.stdout).toMatch(new RegExp(`${firstKid} .* retired`));
    for (const kid of [firstKid, secondKid]) {
      expect(await db('audit_events').where({ event: 'keys.rotated', subject_id: kid }).first()).toBeDefined();
    }
  });

  test('when keys are rotated without --now, then the new key is pending for KEY_ACTIVATION_DELAY', async () => {
    const result = await cli(['keys', 'rotate']);
    expect(result.code).toBe(0);
    const kid = /new signing key (\S+), signing from (\S+)/.exec(result.stdout)!;
    const row = await db('signing_keys').where({ kid: kid[1] }).first('activates_at', 'created_at');
    expect(new Date(row.activates_at).getTime() - new Date(row.created_at).getTime()).toBeGreaterThanOrEqual(119_000);
    // Leave the shared database with an active key for the suites running beside this one.
    expect((await cli(['keys', 'rotate', '--now'])).code).toBe(0);
  });

  test('when a clients file is checked, then the shipped one passes and a broken one is refused naming entry and field', async () => {
    const ok = await cli(['clients', 'check', 'config/clients.json']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('2 client(s) OK: hightech, sme');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'clients-')), 'clients.json');
    fs.writeFileSync(file, JSON.stringify([{ client_id: 'broken', client_secret: 'x'.repeat(40), redirect_uris: ['not a url'], name: { 'zh-CN': 'a', en: 'a' }, policy: { account_kinds: ['legal'] } }]));
    const bad = await cli(['clients', 'check', file]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('entry 0 (client_id "broken"): redirect_uris[0]');
  });
});
