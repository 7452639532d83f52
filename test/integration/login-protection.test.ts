import { loginNameKey } from '../../src/accounts/login-name.js';
import { createNaturalAccount, credentials, uniqueIp } from '../support/accounts.js';
import { TestRelyingParty } from '../support/oidc-rp.js';
import { startTestApp, unique, type TestApp } from '../support/test-app.js';
import { alertText, hiddenInput, UserAgent } from '../support/user-agent.js';

const CAPTCHA_ANSWER = 'test1';
const WRONG = 'Wrong-Password-1';

type Page = { url: string; body: string; status: number };

const hasCaptchaField = (page: Page) => /name="captcha"/.test(page.body) && Boolean(hiddenInput(page.body, 'captchaId'));

describe('login protection: captcha, lock and per-address limit', () => {
  let app: TestApp;
  const rp = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-4a');

  beforeAll(async () => {
    await rp.listen();
    app = await startTestApp({ clients: [rp.clientEntry()], env: { TRUST_PROXY: 'true', CAPTCHA_TEST_ANSWER: CAPTCHA_ANSWER } });
    await rp.discover(app.url);
  });
  afterAll(async () => {
    await app?.close();
    await rp.close();
  });

  /** A user agent with an address of its own, on the login page. */
  async function onLoginPage(ip = uniqueIp()) {
    const agent = new UserAgent({ 'x-forwarded-for': ip });
    const { page } = await rp.openAuthorization(agent);
    return { agent, page: page as Page, ip };
  }

  /** Posts the login form of `page`, adding the captcha answer when the page shows a captcha. */
  async function attempt(agent: UserAgent, page: Page, loginName: string, password: string, captcha?: string) {
    const captchaFields: Record<string, string> =
      captcha !== undefined ? { captcha, captchaId: hiddenInput(page.body, 'captchaId') ?? '' } : {};
    return (await rp.submitLogin(agent, page, { window: 'natural', loginName, password, ...captchaFields })) as Page;
  }

  /** Walks a login name through five failures the way a user would, answering the captcha when shown. */
  async function failFiveTimes(loginName: string) {
    const { agent, page, ip } = await onLoginPage();
    const responses: Page[] = [];
    let current = page;
    for (let i = 0; i < 5; i += 1) {
      current = await attempt(agent, current, loginName, WRONG, hasCaptchaField(current) ? CAPTCHA_ANSWER : undefined);
      responses.push(current);
    }
    return { agent, ip, responses, last: current };
  }

  test('when a login name has failed three times, then the page shows a captcha, and a fourth attempt without it is refused with 400 and the captcha message', async () => {
    const natural = await createNaturalAccount(app);
    const { agent, page } = await onLoginPage();
    let current = page;
    for (let i = 1; i <= 3; i += 1) {
      expect(hasCaptchaField(current)).toBe(false);
      current = await attempt(agent, current, natural.loginName, WRONG);
      expect(current.status).toBe(401);
    }
    expect(hasCaptchaField(current)).toBe(true);
    expect(current.body).toMatch(/<img\b[^>]*src="data:image\/svg\+xml;base64,/);

    const withoutCaptcha = await attempt(agent, current, natural.loginName, natural.password);
    expect(withoutCaptcha.status).toBe(400);
    expect(alertText(withoutCaptcha.body)).toBe('请输入图形验证码');
    expect(hasCaptchaField(withoutCaptcha)).toBe(true);

    const wrongCaptcha = await attempt(agent, withoutCaptcha, natural.loginName, natural.password, 'nope');
    expect(wrongCaptcha.status).toBe(400);
    expect(alertText(wrongCaptcha.body)).toBe('图形验证码错误或已过期，请重新输入');

    // Neither refusal counted as a password failure.
    const throttle = await app.context.db('login_throttles').where({ login_name_key: loginNameKey(natural.loginName) }).first('failures');
    expect(throttle.failures).toBe(3);
  });

  test('when the captcha is answered (CAPTCHA_TEST_ANSWER) with the right password, then the login succeeds and the failure count is reset', async () => {
    const natural = await createNaturalAccount(app);
    const { agent, page } = await onLoginPage();
    let current = page;
    for (let i = 0; i < 3; i += 1) current = await attempt(agent, current, natural.loginName, WRONG);
    expect(hasCaptchaField(current)).toBe(true);

    const done = await attempt(agent, current, natural.loginName, natural.password, CAPTCHA_ANSWER);
    expect(done.url.startsWith(rp.redirectUri)).toBe(true);
    expect(await app.context.db('login_throttles').where({ login_name_key: loginNameKey(natural.loginName) })).toHaveLength(0);

    // Counting starts again: two new failures ask for no captcha (without the reset they would be five).
    const again = await onLoginPage();
    let next = again.page;
    for (let i = 0; i < 2; i += 1) next = await attempt(again.agent, next, natural.loginName, WRONG);
    expect(next.status).toBe(401);
    expect(hasCaptchaField(next)).toBe(false);
  });

  test('when a captcha id is reused, then the second use is refused (a challenge dies at its first check)', async () => {
    const natural = await createNaturalAccount(app);
    const { agent, page } = await onLoginPage();
    let current = page;
    for (let i = 0; i < 3; i += 1) current = await attempt(agent, current, natural.loginName, WRONG);
    const captchaId = hiddenInput(current.body, 'captchaId')!;
    const fourth = await attempt(agent, current, natural.loginName, WRONG, CAPTCHA_ANSWER);
    expect(fourth.status).toBe(401);
    const replay = (await rp.submitLogin(agent, fourth, {
      window: 'natural',
      loginName: natural.loginName,
      password: natural.password,
      captcha: CAPTCHA_ANSWER,
      captchaId,
    })) as Page;
    expect(replay.status).toBe(400);
    expect(alertText(replay.body)).toBe('图形验证码错误或已过期，请重新输入');
  });

  test('when a login name fails five times, then it is locked (429, with the minutes), even the right password is refused, and failures and the lock are audited with the address', async () => {
    const natural = await createNaturalAccount(app);
    const { agent, ip, responses, last } = await failFiveTimes(natural.loginName);
    expect(responses.map((r) => r.status)).toEqual([401, 401, 401, 401, 429]);
    expect(alertText(last.body)).toBe('登录失败次数过多，账号已锁定，请于 15 分钟后再试，或通过“忘记密码”找回。');

    const rightPassword = await attempt(agent, last, natural.loginName, natural.password, CAPTCHA_ANSWER);
    expect(rightPassword.status).toBe(429);
    expect(alertText(rightPassword.body)).toMatch(/账号已锁定，请于 1[45] 分钟后再试/);
    const fresh = await onLoginPage();
    const elsewhere = await attempt(fresh.agent, fresh.page, natural.loginName, natural.password);
    expect(elsewhere.status).toBe(429);

    const events = await app.context
      .db('audit_events')
      .where({ subject_type: 'account', subject_id: natural.account.id })
      .orderBy('id')
      .select('event', 'outcome', 'ip', 'details');
    expect(events.filter((e) => e.event === 'login.failure')).toHaveLength(5);
    expect(events.filter((e) => e.event === 'login.failure').every((e) => e.ip === ip && e.outcome === 'failure')).toBe(true);
    const locked = events.filter((e) => e.event === 'login.locked');
    expect(locked).toHaveLength(1);
    expect(locked[0]).toMatchObject({ outcome: 'locked', ip });
    expect(new Date(locked[0]!.details.lockedUntil).getTime()).toBeGreaterThan(Date.now() + 14 * 60_000);
    expect(events.some((e) => e.event === 'login.success')).toBe(false);
    // Attempts refused by the lock are recorded before any account lookup, under the login name.
    const refused = await app.context
      .db('audit_events')
      .where({ event: 'login.refused', outcome: 'locked', subject_type: 'login_name', subject_id: loginNameKey(natural.loginName) })
      .select('ip', 'details');
    expect(refused).toHaveLength(2);
    expect(refused.map((e) => e.ip).sort()).toEqual([ip, fresh.ip].sort());
    expect(refused.every((e) => e.details.reason === 'locked')).toBe(true);
  });

  test('when an unknown login name is tried, then it meets the same captcha and lock as a real one (no enumeration)', async () => {
    const natural = await createNaturalAccount(app);
    const real = await failFiveTimes(natural.loginName);
    const unknownName = unique('ghost');
    const unknown = await failFiveTimes(unknownName);

    expect(unknown.responses.map((r) => r.status)).toEqual(real.responses.map((r) => r.status));
    expect(unknown.responses.map((r) => alertText(r.body))).toEqual(real.responses.map((r) => alertText(r.body)));
    expect(unknown.responses.map(hasCaptchaField)).toEqual(real.responses.map(hasCaptchaField));
    expect(unknown.responses.map(hasCaptchaField)).toEqual([false, false, true, true, true]);

    const events = await app.context
      .db('audit_events')
      .where({ subject_type: 'login_name', subject_id: loginNameKey(unknownName) })
      .select('event', 'ip');
    expect(events.filter((e) => e.event === 'login.failure')).toHaveLength(5);
    expect(events.filter((e) => e.event === 'login.locked')).toHaveLength(1);
    expect(events.every((e) => e.ip === unknown.ip)).toBe(true);
  });
});

describe('login protection: failures per address', () => {
  let app: TestApp;
  const rp = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-4b');

  beforeAll(async () => {
    await rp.listen();
    app = await startTestApp({ clients: [rp.clientEntry()], env: { TRUST_PROXY: 'true', ADDRESS_LOGIN_FAILURES: '3' } });
    await rp.discover(app.url);
  });
  afterAll(async () => {
    await app?.close();
    await rp.close();
  });

  test('when one address fails three times across different login names, then its next attempt gets 429 — even with the right password — while another address still signs in', async () => {
    const natural = await createNaturalAccount(app);
    const ip = uniqueIp();
    const agent = new UserAgent({ 'x-forwarded-for': ip });
    const { page } = await rp.openAuthorization(agent);
    let current = page as Page;
    for (let i = 0; i < 3; i += 1) {
      current = (await rp.submitLogin(agent, current, { window: 'natural', loginName: unique('probe'), password: WRONG })) as Page;
      expect(current.status).toBe(401);
    }
    const limited = await rp.submitLogin(agent, current, credentials(natural));
    expect(limited.status).toBe(429);
    expect(alertText(limited.body)).toMatch(/^此网络地址登录失败次数过多，请于 1[45] 分钟后再试。$/);

    const refused = await app.context.db('audit_events').where({ event: 'login.refused', ip }).select('details');
    expect(refused).toHaveLength(1);
    expect(refused[0]!.details.reason).toBe('address_limited');

    const elsewhere = new UserAgent({ 'x-forwarded-for': uniqueIp() });
    const tokens = await rp.signIn(elsewhere, credentials(natural));
    expect(tokens.claims()!.sub).toBe(natural.account.id);
  });
});

describe('login protection: a lock runs out', () => {
  let app: TestApp;
  const rp = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-4c');

  beforeAll(async () => {
    await rp.listen();
    app = await startTestApp({
      clients: [rp.clientEntry()],
      env: { TRUST_PROXY: 'true', CAPTCHA_TEST_ANSWER: CAPTCHA_ANSWER, LOGIN_LOCK_SECONDS: '1' },
    });
    await rp.discover(app.url);
  });
  afterAll(async () => {
    await app?.close();
    await rp.close();
  });

  test('when the lock time has passed, then the right password (with the captcha still asked for) signs in', async () => {
    const natural = await createNaturalAccount(app);
    const agent = new UserAgent({ 'x-forwarded-for': uniqueIp() });
    const { page } = await rp.openAuthorization(agent);
    let current = page as Page;
    for (let i = 0; i < 5; i += 1) {
      const captcha: Record<string, string> = hasCaptchaField(current)
        ? { captcha: CAPTCHA_ANSWER, captchaId: hiddenInput(current.body, 'captchaId')! }
        : {};
      current = (await rp.submitLogin(agent, current, { window: 'natural', loginName: natural.loginName, password: WRONG, ...captcha })) as Page;
    }
    expect(current.status).toBe(429);
    expect(alertText(current.body)).toContain('请于 1 分钟后再试');

    await new Promise((resolve) => setTimeout(resolve, 1100));
    const withoutCaptcha = (await rp.submitLogin(agent, current, credentials(natural))) as Page;
    expect(withoutCaptcha.status).toBe(400);
    expect(alertText(withoutCaptcha.body)).toBe('请输入图形验证码');
    const done = await rp.submitLogin(agent, withoutCaptcha, {
      ...credentials(natural),
      captcha: CAPTCHA_ANSWER,
      captchaId: hiddenInput(withoutCaptcha.body, 'captchaId')!,
    });
    expect(done.url.startsWith(rp.redirectUri)).toBe(true);
  });
});
