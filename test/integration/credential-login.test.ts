/**
 * Sign-in with the one-time credential an approved appeal texts (SPEC §7), and the forced new
 * password as a step of the sign-in (the change_password prompt): driven by real relying parties
 * (openid-client) against the OP on PostgreSQL.
 */
import { loginNameKey } from '../../src/accounts/login-name.js';
import { createLegalAccount, createNaturalAccount, credentials, uniqueIp, type CreatedAccount } from '../support/accounts.js';
import { TestRelyingParty, tokenError } from '../support/oidc-rp.js';
import { startTestApp, unique, type TestApp } from '../support/test-app.js';
import { TestClock } from '../support/test-clock.js';
import { alertText, formAction, hiddenInput, UserAgent } from '../support/user-agent.js';

const CAPTCHA_ANSWER = 'test1';
const NEW_PASSWORD = 'Brand-New-Pass-2026';
const DAY = 24 * 3600;

type Page = { url: string; status: number; body: string };

/** The message under a form field, and whether the control is marked invalid and described by it. */
function fieldError(html: string, name: string): string | undefined {
  const message = new RegExp(`id="${name}-note"[^>]*>([^<]*)<`).exec(html)?.[1];
  if (message === undefined) return undefined;
  const control = new RegExp(`<input id="${name}"[^>]*>`).exec(html)?.[0] ?? '';
  expect(control).toContain('aria-invalid="true"');
  expect(control).toMatch(new RegExp(`aria-describedby="[^"]*${name}-note`));
  return message;
}

describe('sign-in with a one-time credential and the forced new password', () => {
  let app: TestApp;
  const clock = new TestClock();
  const rp = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-c1');
  const other = new TestRelyingParty(unique('other'), 'rp-secret-0123456789-0123456789-c2');
  const realName = new TestRelyingParty(unique('realname'), 'rp-secret-0123456789-0123456789-c3');

  beforeAll(async () => {
    await Promise.all([rp.listen(), other.listen(), realName.listen()]);
    app = await startTestApp({
      clients: [rp.clientEntry(), other.clientEntry(), realName.clientEntry({ policy: { account_kinds: ['natural', 'legal'], real_name_required: true } })],
      clock: clock.now,
      env: { TRUST_PROXY: 'true', CAPTCHA_TEST_ANSWER: CAPTCHA_ANSWER },
    });
    await Promise.all([rp.discover(app.url), other.discover(app.url), realName.discover(app.url)]);
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([rp.close(), other.close(), realName.close()]);
  });

  /** An account with an outstanding credential, as an approved appeal leaves it. */
  async function withCredential(make: (app: TestApp) => Promise<CreatedAccount> = createNaturalAccount) {
    const user = await make(app);
    const { credential } = await app.context.oneTimeCredentials.issue(user.account.id, 'test');
    return { user, credential };
  }

  const agentOfItsOwn = () => new UserAgent({ 'x-forwarded-for': uniqueIp() });
  const atRp = (relyingParty: TestRelyingParty, page: Page) => page.url.startsWith(relyingParty.redirectUri);

  /** Opens a sign-in at `relyingParty` and types the login name and `password` (a credential or a password). */
  async function signIn(user: CreatedAccount, password: string, options: { agent?: UserAgent; relyingParty?: TestRelyingParty; params?: Record<string, string> } = {}) {
    const agent = options.agent ?? agentOfItsOwn();
    const relyingParty = options.relyingParty ?? rp;
    const { request, page } = await relyingParty.openAuthorization(agent, options.params);
    const next = (await relyingParty.submitLogin(agent, page, { window: user.window, loginName: user.loginName, password })) as Page;
    return { agent, request, page: next };
  }

  /** Posts 设置新密码 on `page`, following redirects up to `relyingParty`. */
  function submitNewPassword(agent: UserAgent, page: Page, newPassword: string, confirmPassword = newPassword, relyingParty = rp) {
    const action = formAction(page.body, /\/new-password$/, page.url);
    if (!action) throw new Error(`no new-password form at ${page.url}: ${page.body.slice(0, 300)}`);
    return agent.submit(action, { csrf: hiddenInput(page.body, 'csrf')!, newPassword, confirmPassword }, relyingParty.redirectUri) as Promise<Page>;
  }

  const onNewPasswordPage = (page: Page) => page.status === 200 && page.body.includes('<h1 id="credential-title" class="card__title">设置新密码</h1>');

  const auditFor = (accountId: string) =>
    app.context.db('audit_events').where({ subject_type: 'account', subject_id: accountId }).orderBy('id').select('event', 'outcome', 'actor_id', 'details');

  test('when a user signs in with the credential, then the RP gets no code: the same sign-in shows 设置新密码, and resuming or single sign-on elsewhere shows it again', async () => {
    const { user, credential } = await withCredential();
    const { agent, page } = await signIn(user, credential);
    expect(atRp(rp, page)).toBe(false);
    expect(page.url).toMatch(new RegExp(`^${app.url}/interaction/`));
    expect(onNewPasswordPage(page)).toBe(true);
    expect(page.body).toContain(`您正在登录：测试系统 ${rp.clientId}`);
    expect(page.body).toContain(`当前账号：${user.loginName}（自然人账号）`);
    expect(page.body).toContain('data-strength-meter');
    expect(page.body).toMatch(/<label for="newPassword">新密码/);
    expect(page.body).toMatch(/<label for="confirmPassword">确认新密码/);

    // The interaction page again, oidc-provider's resume URL, a new request, another system: the page every time.
    expect(onNewPasswordPage(await agent.follow(page.url, rp.redirectUri))).toBe(true);
    const uid = /\/interaction\/([^/?]+)/.exec(page.url)![1]!;
    const resumed = await agent.follow(`${app.url}/auth/${uid}`, rp.redirectUri);
    expect(atRp(rp, resumed)).toBe(false);
    expect(onNewPasswordPage(resumed)).toBe(true);
    const again = await rp.openAuthorization(agent);
    expect(onNewPasswordPage(again.page)).toBe(true);
    const elsewhere = await other.openAuthorization(agent);
    expect(atRp(other, elsewhere.page)).toBe(false);
    expect(onNewPasswordPage(elsewhere.page)).toBe(true);
    // Before the access policy's steps: a system that requires real-name verification asks for the password first.
    const strict = await realName.openAuthorization(agent);
    expect(onNewPasswordPage(strict.page)).toBe(true);

    const events = await auditFor(user.account.id);
    expect(events.filter((e) => e.event === 'login.success')).toEqual([
      expect.objectContaining({ outcome: 'success', details: expect.objectContaining({ method: 'one_time_credential', window: 'natural' }) }),
    ]);
    expect(JSON.stringify(events)).not.toContain(credential);
  });

  test('when an RP asks with prompt=none while the change is pending, then it receives interaction_required and no code', async () => {
    const { user, credential } = await withCredential();
    const { agent } = await signIn(user, credential);
    const { page } = await rp.openAuthorization(agent, { prompt: 'none' });
    expect(atRp(rp, page)).toBe(true);
    const answer = new URL(page.url).searchParams;
    expect(answer.get('error')).toBe('interaction_required');
    expect(answer.get('code')).toBeNull();
  });

  test('when the new password breaks the policy, differs from its confirmation, equals the login name or the credential, then each field says why (400) and nothing changes', async () => {
    const { user, credential } = await withCredential();
    let { agent, page } = await signIn(user, credential);
    const cases: Array<[string, string, Record<string, string>]> = [
      ['', '', { newPassword: '请输入新密码', confirmPassword: '请再次输入新密码' }],
      ['Ab1-', 'Ab1-', { newPassword: '密码至少 8 位' }],
      ['onlylowercase', 'onlylowercase', { newPassword: '密码须包含大写字母、小写字母、数字、特殊符号中的至少 3 种' }],
      [user.loginName.toUpperCase(), user.loginName.toUpperCase(), { newPassword: '密码不能与登录名相同' }],
      [credential, credential, { newPassword: '新密码不能与一次性登录密码相同' }],
      [NEW_PASSWORD, `${NEW_PASSWORD}x`, { confirmPassword: '两次输入的新密码不一致' }],
    ];
    for (const [newPassword, confirmPassword, expected] of cases) {
      page = await submitNewPassword(agent, page, newPassword, confirmPassword);
      expect(page.status).toBe(400);
      expect(alertText(page.body)).toBe('请检查填写的内容');
      for (const name of ['newPassword', 'confirmPassword']) expect(fieldError(page.body, name)).toBe(expected[name]);
      // A password is never written back into the page.
      if (newPassword) expect(page.body).not.toContain(`value="${newPassword}"`);
    }
    expect(await app.context.oneTimeCredentials.matches(user.account.id, credential)).toBe(true);
    expect((await app.context.login.authenticate({ ...credentials(user), ip: uniqueIp() })).method).toBe('password');
    expect((await auditFor(user.account.id)).some((e) => e.event === 'password.changed')).toBe(false);
  });

  test('when the new password is set, then the same sign-in completes at the RP, the credential is used up, the new password signs in, and every earlier session and refresh token of the account has ended', async () => {
    const { user, credential } = await withCredential();
    // Before the appeal's credential is used, the account's own password still works: the appeal does not erase it.
    const earlierAgent = agentOfItsOwn();
    const earlier = await rp.signIn(earlierAgent, credentials(user), { scope: 'openid offline_access', prompt: 'consent' });
    expect(earlier.refresh_token).toEqual(expect.any(String));

    const { agent, request, page } = await signIn(user, credential);
    const done = await submitNewPassword(agent, page, NEW_PASSWORD);
    expect(atRp(rp, done)).toBe(true);
    const tokens = await rp.callback(done.url, request);
    expect(tokens.claims()!.sub).toBe(user.account.id);

    // This browser's session goes on: single sign-on into another system without a password or the page.
    const sso = await other.openAuthorization(agent);
    expect(atRp(other, sso.page)).toBe(true);
    expect((await other.callback(sso.page.url, sso.request)).claims()!.sub).toBe(user.account.id);

    // The earlier refresh token and the earlier browser's session are gone.
    expect(await tokenError(rp.refresh(earlier.refresh_token!))).toBe('invalid_grant');
    const earlierAgain = await rp.openAuthorization(earlierAgent);
    expect(atRp(rp, earlierAgain.page)).toBe(false);
    expect(earlierAgain.page.body).toContain('用户登录');

    // The credential never signs in again; the old password is replaced; the new one signs in straight to the RP.
    const reused = await signIn(user, credential);
    expect(reused.page.status).toBe(401);
    expect(alertText(reused.page.body)).toBe('登录名或密码错误');
    const oldPassword = await signIn(user, user.password);
    expect(oldPassword.page.status).toBe(401);
    const fresh = await signIn(user, NEW_PASSWORD);
    expect(atRp(rp, fresh.page)).toBe(true);

    const events = await auditFor(user.account.id);
    const changed = events.filter((e) => e.event === 'password.changed');
    expect(changed).toEqual([expect.objectContaining({ outcome: 'success', actor_id: user.account.id, details: { reason: 'one_time_credential' } })]);
    expect(JSON.stringify(events)).not.toContain(NEW_PASSWORD);
    const row = await app.context.db('one_time_credentials').where({ account_id: user.account.id }).first('used_at');
    expect(row.used_at).toBeTruthy();
  });

  test('when the user closes the page and signs in with the credential again before it expires, then the page comes back; once one browser has set the password, the other’s sign-in has ended', async () => {
    const { user, credential } = await withCredential();
    const first = await signIn(user, credential);
    expect(onNewPasswordPage(first.page)).toBe(true);
    const second = await signIn(user, credential);
    expect(onNewPasswordPage(second.page)).toBe(true);

    expect(atRp(rp, await submitNewPassword(second.agent, second.page, NEW_PASSWORD))).toBe(true);
    const late = await submitNewPassword(first.agent, first.page, 'Another-Pass-2026');
    expect(late.status).toBe(400);
    expect(late.body).toContain('登录请求已过期');
    const login = await rp.openAuthorization(first.agent);
    expect(login.page.body).toContain('用户登录');
    expect((await app.context.login.authenticate({ ...credentials(user), password: NEW_PASSWORD, ip: uniqueIp() })).method).toBe('password');
    expect((await auditFor(user.account.id)).filter((e) => e.event === 'password.changed')).toHaveLength(1);
  });

  test('when the credential has expired, then it is only a wrong password (登录名或密码错误, counted), and the account’s own password still signs in', async () => {
    const { user, credential } = await withCredential();
    clock.advance(DAY + 1);
    const { page } = await signIn(user, credential);
    expect(page.status).toBe(401);
    expect(alertText(page.body)).toBe('登录名或密码错误');
    const throttle = await app.context.db('login_throttles').where({ login_name_key: loginNameKey(user.loginName) }).first('failures');
    expect(throttle.failures).toBe(1);
    expect(atRp(rp, (await signIn(user, user.password)).page)).toBe(true);
  });

  test('when the credential expires while the page is open, then the page says so instead of the form, and 切换账号 with the old password completes the sign-in', async () => {
    const { user, credential } = await withCredential();
    const { agent, request, page } = await signIn(user, credential);
    clock.advance(DAY);

    const refused = await submitNewPassword(agent, page, NEW_PASSWORD);
    expect(refused.status).toBe(409);
    expect(formAction(refused.body, /\/new-password$/, refused.url)).toBeUndefined();
    expect((await auditFor(user.account.id)).filter((e) => e.event.startsWith('password.'))).toEqual([
      expect.objectContaining({ event: 'password.change_failed', outcome: 'refused', details: { reason: 'credential_no_longer_valid' } }),
    ]);
    const shown = await agent.follow(page.url, rp.redirectUri);
    expect(shown.status).toBe(200);
    expect(alertText(shown.body)).toBe('一次性登录密码已过期或已使用，不能再用它设置新密码。');
    expect(shown.body).toContain('href="/recovery"');
    const switchUrl = /href="(\/interaction\/[^"]+\?window=natural)"/.exec(shown.body)![1]!;

    const login = (await agent.follow(`${app.url}${switchUrl}`)) as Page;
    expect(login.body).toContain('用户登录');
    const done = (await rp.submitLogin(agent, login, credentials(user))) as Page;
    expect(atRp(rp, done)).toBe(true);
    expect((await rp.callback(done.url, request)).claims()!.sub).toBe(user.account.id);
  });

  test('when wrong credentials are typed, then they count toward the captcha and the lock like wrong passwords, and the lock refuses the right credential too', async () => {
    const { user, credential } = await withCredential();
    const wrong = credential.replace(/^./, (digit) => String((Number(digit) + 1) % 10));
    const agent = agentOfItsOwn();
    let { page } = (await rp.openAuthorization(agent)) as { page: Page };
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const captcha: Record<string, string> = /name="captcha"/.test(page.body) ? { captcha: CAPTCHA_ANSWER, captchaId: hiddenInput(page.body, 'captchaId')! } : {};
      page = (await rp.submitLogin(agent, page, { window: 'natural', loginName: user.loginName, password: wrong, ...captcha })) as Page;
      statuses.push(page.status);
      if (attempt === 2) expect(/name="captcha"/.test(page.body)).toBe(true);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
    const right = (await rp.submitLogin(agent, page, {
      window: 'natural',
      loginName: user.loginName,
      password: credential,
      captcha: CAPTCHA_ANSWER,
      captchaId: hiddenInput(page.body, 'captchaId')!,
    })) as Page;
    expect(right.status).toBe(429);
    expect(alertText(right.body)).toMatch(/账号已锁定/);
    expect((await auditFor(user.account.id)).filter((e) => e.event === 'login.locked')).toHaveLength(1);
  });

  test('when the credential of another account is typed, then it does not sign in', async () => {
    const one = await withCredential();
    const another = await withCredential();
    const { page } = await signIn(another.user, one.credential);
    expect(page.status).toBe(401);
    expect(alertText(page.body)).toBe('登录名或密码错误');
  });

  test('when a unit’s credential is typed in the natural window, or the account is disabled, then the usual refusals apply', async () => {
    const { user, credential } = await withCredential(createLegalAccount);
    const agent = agentOfItsOwn();
    const { page } = await rp.openAuthorization(agent);
    const wrongWindow = (await rp.submitLogin(agent, page, { window: 'natural', loginName: user.loginName, password: credential })) as Page;
    expect(wrongWindow.status).toBe(400);
    expect(alertText(wrongWindow.body)).toContain('该账号为法人账号，请在“法人登录”窗口登录。');

    await app.context.db('accounts').where({ id: user.account.id }).update({ status: 'disabled' });
    const disabled = await signIn(user, credential);
    expect(disabled.page.status).toBe(403);
    expect(alertText(disabled.page.body)).toBe('该账号已停用，请联系技术支持。');
  });

  test('when the portal is signed in to with the credential, then 设置新密码 comes first and the sign-in ends in My Information', async () => {
    const { user, credential } = await withCredential();
    const agent = agentOfItsOwn();
    const login = await agent.follow(`${app.url}/portal/login?login_type=natural`);
    const page = (await agent.submit(`${login.url.split('?')[0]}/login`, { csrf: hiddenInput(login.body, 'csrf')!, window: 'natural', loginName: user.loginName, password: credential })) as Page;
    expect(onNewPasswordPage(page)).toBe(true);
    expect(page.body).toContain('您正在登录：科技部政务服务平台');
    const done = await agent.submit(formAction(page.body, /\/new-password$/, page.url)!, {
      csrf: hiddenInput(page.body, 'csrf')!,
      newPassword: NEW_PASSWORD,
      confirmPassword: NEW_PASSWORD,
    });
    expect(done.url).toBe(`${app.url}/portal/me`);
    expect(done.body).toContain(user.loginName);
  });

  test('when the page is posted without its CSRF token, then it is refused (403) and the password stays', async () => {
    const { user, credential } = await withCredential();
    const { agent, page } = await signIn(user, credential);
    const refused = await agent.request(formAction(page.body, /\/new-password$/, page.url)!, { form: { newPassword: NEW_PASSWORD, confirmPassword: NEW_PASSWORD } });
    expect(refused.status).toBe(403);
    expect(await app.context.oneTimeCredentials.outstanding(user.account.id)).toBe(true);
  });

  test('when the system asks for English, then the page is in English', async () => {
    const { user, credential } = await withCredential();
    const { page } = await signIn(user, credential, { params: { ui_locales: 'en' } });
    expect(page.body).toContain('Set a new password');
    expect(page.body).toContain('Set new password and continue');
    const { agent } = await signIn(user, credential, { params: { ui_locales: 'en' } });
    const again = (await rp.openAuthorization(agent, { ui_locales: 'en' })).page as Page;
    const refused = await submitNewPassword(agent, again, 'short');
    expect(fieldError(refused.body, 'newPassword')).toBe('A password has at least 8 characters');
  });
});
