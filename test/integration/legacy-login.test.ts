/**
 * Migrated Torch Center accounts sign in with their old password (SPEC §1, §8): each legacy scheme
 * is verified at the login page, upgraded to argon2id at the first success, and then forgotten;
 * the accounts meet every protection of SPEC §6. Driven by a real relying party (openid-client)
 * against the OP on PostgreSQL.
 */
import { loginNameKey } from '../../src/accounts/login-name.js';
import { LEGACY_SCHEMES } from '../../src/migration/torch/legacy-password.js';
import { createLegalAccount, createNaturalAccount, credentials, uniqueIp, type CreatedAccount } from '../support/accounts.js';
import { legacyHash, migrate, passwordState } from '../support/legacy-accounts.js';
import { TestRelyingParty } from '../support/oidc-rp.js';
import { startTestApp, unique, type TestApp } from '../support/test-app.js';
import { alertText, formAction, hiddenInput, UserAgent } from '../support/user-agent.js';

const CAPTCHA_ANSWER = 'test1';
const WRONG = 'Wrong-Password-1';
/** Failures one address may make: high enough for one test's lockout walk, low enough to reach in a test. */
const ADDRESS_FAILURES = 7;

type Page = { url: string; body: string; status: number };

const ARGON2ID = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/;

describe('sign-in of migrated accounts with their legacy password', () => {
  let app: TestApp;
  const rp = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-l1');

  beforeAll(async () => {
    await rp.listen();
    app = await startTestApp({
      clients: [rp.clientEntry()],
      env: { TRUST_PROXY: 'true', CAPTCHA_TEST_ANSWER: CAPTCHA_ANSWER, ADDRESS_LOGIN_FAILURES: String(ADDRESS_FAILURES) },
    });
    await rp.discover(app.url);
  });
  afterAll(async () => {
    await app?.close();
    await rp.close();
  });

  const agentOfItsOwn = (ip = uniqueIp()) => new UserAgent({ 'x-forwarded-for': ip });

  async function attempt(user: CreatedAccount, password: string, options: { agent?: UserAgent; window?: 'natural' | 'legal'; page?: Page } = {}) {
    const agent = options.agent ?? agentOfItsOwn();
    const page = options.page ?? ((await rp.openAuthorization(agent)).page as Page);
    const captcha: Record<string, string> = /name="captcha"/.test(page.body)
      ? { captcha: CAPTCHA_ANSWER, captchaId: hiddenInput(page.body, 'captchaId')! }
      : {};
    return (await rp.submitLogin(agent, page, { window: options.window ?? user.window, loginName: user.loginName, password, ...captcha })) as Page;
  }

  const auditFor = (accountId: string) =>
    app.context.db('audit_events').where({ subject_type: 'account', subject_id: accountId }).orderBy('id').select('event', 'outcome', 'actor_type', 'actor_id', 'ip', 'details');

  /** The account is still as the import left it: no argon2 hash, the legacy row in place. */
  async function expectUntouched(accountId: string, scheme = 'md5') {
    const state = await passwordState(app, accountId);
    expect(state.passwordHash).toBeNull();
    expect(state.legacy).toMatchObject({ scheme });
  }

  test.each(LEGACY_SCHEMES.map((scheme) => [scheme]))(
    'when a migrated account with a %s hash signs in with its old password, then it is signed in, the password is stored as argon2id, the legacy row is gone, and the same password then works through argon2',
    async (scheme) => {
      const user = await migrate(app, await createNaturalAccount(app), legacyHash(scheme));
      const ip = uniqueIp();
      const tokens = await rp.signIn(agentOfItsOwn(ip), credentials(user));
      expect(tokens.claims()).toMatchObject({ sub: user.account.id, account_type: 'natural' });

      const upgraded = await passwordState(app, user.account.id);
      expect(upgraded.passwordHash).toMatch(ARGON2ID);
      expect(upgraded.legacy).toBeUndefined();
      expect(await app.context.hasher.verify(upgraded.passwordHash!, user.password)).toBe(true);

      const events = await auditFor(user.account.id);
      const upgrades = events.filter((e) => e.event === 'password.upgraded');
      expect(upgrades).toEqual([
        { event: 'password.upgraded', outcome: 'success', actor_type: 'account', actor_id: user.account.id, ip, details: { scheme } },
      ]);
      expect(events.map((e) => e.event).slice(-2)).toEqual(['password.upgraded', 'login.success']);
      // Nothing of the password in the audit log.
      expect(JSON.stringify(events)).not.toContain(user.password);

      // The second sign-in goes through argon2: the same hash, no second upgrade.
      const again = await rp.signIn(agentOfItsOwn(), credentials(user));
      expect(again.claims()!.sub).toBe(user.account.id);
      expect((await passwordState(app, user.account.id)).passwordHash).toBe(upgraded.passwordHash);
      expect((await auditFor(user.account.id)).filter((e) => e.event === 'password.upgraded')).toHaveLength(1);
    },
  );

  test.each([['md5'], ['sha1'], ['sha256_salt_suffix'], ['sm3'], ['pbkdf2_sha256']] as const)(
    'when the legacy %s digest was exported in upper-case hex, then the old password still signs in',
    async (scheme) => {
      const legacy = legacyHash(scheme);
      const user = await migrate(app, await createNaturalAccount(app), { ...legacy, hash: legacy.hash.toUpperCase() });
      const tokens = await rp.signIn(agentOfItsOwn(), credentials(user));
      expect(tokens.claims()!.sub).toBe(user.account.id);
      expect((await passwordState(app, user.account.id)).legacy).toBeUndefined();
    },
  );

  test('when a migrated legal account signs in at the legal window, then it is upgraded like a person', async () => {
    const unit = await migrate(app, await createLegalAccount(app), legacyHash('bcrypt'));
    const tokens = await rp.signIn(agentOfItsOwn(), credentials(unit));
    expect(tokens.claims()).toMatchObject({ sub: unit.account.id, account_type: 'legal' });
    expect((await passwordState(app, unit.account.id)).passwordHash).toMatch(ARGON2ID);
  });

  test('when a wrong password is typed, then nothing changes but the failure count: 401, the legacy row kept, no argon2 hash', async () => {
    const user = await migrate(app, await createNaturalAccount(app));
    const ip = uniqueIp();
    const page = await attempt(user, WRONG, { agent: agentOfItsOwn(ip) });
    expect(page.status).toBe(401);
    expect(alertText(page.body)).toBe('登录名或密码错误');
    await expectUntouched(user.account.id);

    const throttle = await app.context.db('login_throttles').where({ login_name_key: loginNameKey(user.loginName) }).first('failures');
    expect(throttle.failures).toBe(1);
    const events = await auditFor(user.account.id);
    expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(['login.failure']));
    expect(events.some((e) => e.event === 'password.upgraded' || e.event === 'login.success')).toBe(false);
  });

  test('when a migrated account fails five times, then it meets the captcha and the lock like any account, and a locked account is refused even with the right password', async () => {
    const user = await migrate(app, await createNaturalAccount(app), legacyHash('sha256_salt_prefix'));
    const agent = agentOfItsOwn();
    let page = (await rp.openAuthorization(agent)).page as Page;
    const statuses: number[] = [];
    const captchaShown: boolean[] = [];
    for (let i = 0; i < 5; i += 1) {
      captchaShown.push(/name="captcha"/.test(page.body));
      page = await attempt(user, WRONG, { agent, page });
      statuses.push(page.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
    expect(captchaShown).toEqual([false, false, false, true, true]);
    expect(alertText(page.body)).toBe('登录失败次数过多，账号已锁定，请于 15 分钟后再试，或通过“忘记密码”找回。');

    const rightPassword = await attempt(user, user.password, { agent, page });
    expect(rightPassword.status).toBe(429);
    const elsewhere = await attempt(user, user.password);
    expect(elsewhere.status).toBe(429);
    await expectUntouched(user.account.id, 'sha256_salt_prefix');
    const events = await auditFor(user.account.id);
    expect(events.filter((e) => e.event === 'login.failure')).toHaveLength(5);
    expect(events.filter((e) => e.event === 'login.locked')).toHaveLength(1);
  });

  test('when the right legacy password is typed in the wrong window, then the window is named and nothing is upgraded', async () => {
    const unit = await migrate(app, await createLegalAccount(app));
    const page = await attempt(unit, unit.password, { window: 'natural' });
    expect(page.status).toBe(400);
    expect(alertText(page.body)).toBe('该账号为法人账号，请在“法人登录”窗口登录。');
    await expectUntouched(unit.account.id);
    const tokens = await rp.signIn(agentOfItsOwn(), credentials(unit));
    expect(tokens.claims()!.sub).toBe(unit.account.id);
  });

  test('when a migrated account is disabled, then the right legacy password is refused and nothing is upgraded', async () => {
    const user = await migrate(app, await createNaturalAccount(app));
    await app.context.db('accounts').where({ id: user.account.id }).update({ status: 'disabled' });
    const page = await attempt(user, user.password);
    expect(page.status).toBe(403);
    expect(alertText(page.body)).toBe('该账号已停用，请联系技术支持。');
    await expectUntouched(user.account.id);
  });

  test('when an address has used up its failures, then a migrated account from it is refused with 429 even with the right password, and nothing is upgraded', async () => {
    const user = await migrate(app, await createNaturalAccount(app));
    const ip = uniqueIp();
    const agent = agentOfItsOwn(ip);
    let page = (await rp.openAuthorization(agent)).page as Page;
    for (let i = 0; i < ADDRESS_FAILURES; i += 1) {
      page = (await rp.submitLogin(agent, page, { window: 'natural', loginName: unique('probe'), password: WRONG })) as Page;
      expect(page.status).toBe(401);
    }
    const limited = await attempt(user, user.password, { agent, page });
    expect(limited.status).toBe(429);
    expect(alertText(limited.body)).toMatch(/^此网络地址登录失败次数过多/);
    await expectUntouched(user.account.id);
  });

  test('when two first sign-ins arrive at once, then both succeed and the password is upgraded once', async () => {
    const user = await migrate(app, await createNaturalAccount(app), legacyHash('sha1'));
    const [a, b] = await Promise.all([rp.signIn(agentOfItsOwn(), credentials(user)), rp.signIn(agentOfItsOwn(), credentials(user))]);
    expect([a.claims()!.sub, b.claims()!.sub]).toEqual([user.account.id, user.account.id]);
    const events = await auditFor(user.account.id);
    expect(events.filter((e) => e.event === 'password.upgraded')).toHaveLength(1);
    expect(events.filter((e) => e.event === 'login.success')).toHaveLength(2);
    const state = await passwordState(app, user.account.id);
    expect(await app.context.hasher.verify(state.passwordHash!, user.password)).toBe(true);
  });

  test('when a migrated account sets a new password through the one-time credential path, then the legacy row goes with it and the old password no longer signs in', async () => {
    const user = await migrate(app, await createNaturalAccount(app), legacyHash('md5_salt_suffix'));
    const { credential } = await app.context.oneTimeCredentials.issue(user.account.id, 'test');
    const agent = agentOfItsOwn();
    const prompt = await attempt(user, credential, { agent });
    expect(prompt.body).toContain('设置新密码');
    // Issuing the credential and signing in with it leave the legacy password alone.
    await expectUntouched(user.account.id, 'md5_salt_suffix');

    const newPassword = 'Brand-New-Pass-2026';
    const action = formAction(prompt.body, /\/new-password$/, prompt.url)!;
    const done = (await agent.submit(action, { csrf: hiddenInput(prompt.body, 'csrf')!, newPassword, confirmPassword: newPassword }, rp.redirectUri)) as Page;
    expect(done.url.startsWith(rp.redirectUri)).toBe(true);

    const state = await passwordState(app, user.account.id);
    expect(state.legacy).toBeUndefined();
    expect(state.passwordHash).toMatch(ARGON2ID);
    expect((await attempt(user, user.password)).status).toBe(401);
    const tokens = await rp.signIn(agentOfItsOwn(), { ...credentials(user), password: newPassword });
    expect(tokens.claims()!.sub).toBe(user.account.id);
    expect((await auditFor(user.account.id)).some((e) => e.event === 'password.upgraded')).toBe(false);
  });

  test('when a migrated account’s password is set through the account repository (every reset path’s one write), then the legacy row is removed in the same transaction', async () => {
    const user = await migrate(app, await createNaturalAccount(app));
    const hash = await app.context.hasher.hash('Another-Pass-2026');
    await app.context.db
      .transaction(async (trx) => {
        await app.context.accounts.updatePasswordHash(user.account.id, hash, trx);
        expect(await trx('legacy_passwords').where({ account_id: user.account.id }).first()).toBeUndefined();
        throw new Error('roll back');
      })
      .catch((error: Error) => expect(error.message).toBe('roll back'));
    await expectUntouched(user.account.id);
    await app.context.accounts.updatePasswordHash(user.account.id, hash);
    expect((await passwordState(app, user.account.id)).legacy).toBeUndefined();
  });
});
