/** `operator create` as operators run it (a child process), against the test PostgreSQL. */
import knexFactory from 'knex';
import { runCli } from '../support/cli.js';
import { generate, verify } from 'otplib';
import { STRONG_PASSWORD, testDatabaseUrl, unique } from '../support/test-app.js';


const cli = (args: string[], input?: string) => runCli(args, input);

describe('operator create (CLI)', () => {
  const db = knexFactory({ client: 'pg', connection: testDatabaseUrl() });
  afterAll(() => db.destroy());

  test('when a reviewer is created, then it is stored with an argon2id hash and an encrypted TOTP secret, and the otpauth URI and secret are printed once', async () => {
    const username = unique('cli_op');
    const result = await cli(['operator', 'create', '--username', username, '--role', 'reviewer', '--password', STRONG_PASSWORD]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`created reviewer operator ${username}`);
    const uri = /otpauth:\/\/totp\/\S+/.exec(result.stdout)![0];
    const secret = /secret \(base32\): ([A-Z2-7]+)/.exec(result.stdout)![1]!;
    const parsed = new URL(uri);
    expect(parsed.searchParams.get('secret')).toBe(secret);
    expect(decodeURIComponent(parsed.pathname)).toContain(username);
    // The printed secret is the one the console checks: a code made from it verifies.
    expect((await verify({ secret, token: await generate({ secret }) })).valid).toBe(true);

    const row = await db('operators').where({ username }).first();
    expect(row).toMatchObject({ role: 'reviewer', status: 'active' });
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row.totp_secret_encrypted).toMatch(/^v1\./);
    expect(row.totp_secret_encrypted).not.toContain(secret);
    const audit = await db('audit_events').where({ event: 'operator.created', subject_id: row.id }).first();
    expect(audit).toMatchObject({ actor_type: 'cli', details: { role: 'reviewer' } });
  });

  test('when the password comes on standard input, then an admin is created with it', async () => {
    const username = unique('cli_adm');
    const result = await cli(['operator', 'create', '--username', username, '--role', 'admin', '--password-stdin'], `${STRONG_PASSWORD}\n`);
    expect(result.code).toBe(0);
    expect((await db('operators').where({ username }).first()).role).toBe('admin');
  });

  test('when the password is weak, then creation is refused naming --password with the rule, and nothing is stored', async () => {
    const username = unique('cli_weak');
    const result = await cli(['operator', 'create', '--username', username, '--role', 'reviewer', '--password', 'password1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--password: 密码须包含大写字母、小写字母、数字、特殊符号中的至少 3 种');
    expect(result.stdout).not.toContain('otpauth://');
    expect(await db('operators').where({ username }).first()).toBeUndefined();
  });

  test('when the username is taken (in any case) or malformed, then creation is refused naming --username', async () => {
    const username = unique('Cli_Dup');
    expect((await cli(['operator', 'create', '--username', username, '--role', 'reviewer', '--password', STRONG_PASSWORD])).code).toBe(0);
    const again = await cli(['operator', 'create', '--username', username.toLowerCase(), '--role', 'admin', '--password', STRONG_PASSWORD]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('--username: 该用户名已被使用');
    const malformed = await cli(['operator', 'create', '--username', 'bad name!', '--role', 'reviewer', '--password', STRONG_PASSWORD]);
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toContain('--username: 登录名只能包含字母、数字和下划线');
  });

  test('when the role is not reviewer or admin, or a flag is missing, then the usage is printed with exit code 2', async () => {
    const badRole = await cli(['operator', 'create', '--username', unique('x'), '--role', 'root', '--password', STRONG_PASSWORD]);
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toContain('--role must be reviewer or admin');
    const noPassword = await cli(['operator', 'create', '--username', unique('x'), '--role', 'reviewer']);
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toContain('operator create --username NAME');
  });
});
