import { createLegalAccount, createNaturalAccount, credentials, uniqueIp } from '../support/accounts.js';
import { TestRelyingParty } from '../support/oidc-rp.js';
import { startTestApp, unique, type TestApp } from '../support/test-app.js';
import { alertText, formAction, hiddenInput, selectedTab, UserAgent } from '../support/user-agent.js';

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

describe('the login page with its two windows', () => {
  let app: TestApp;
  const rp = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-3a');

  beforeAll(async () => {
    await rp.listen();
    // Each test's agent has its own address, so per-address limits never cross tests.
    app = await startTestApp({ clients: [rp.clientEntry()], env: { TRUST_PROXY: 'true' } });
    await rp.discover(app.url);
  });
  afterAll(async () => {
    await app?.close();
    await rp.close();
  });

  const newAgent = () => new UserAgent({ 'x-forwarded-for': uniqueIp() });

  test.each([
    [undefined, 'natural'],
    ['natural', 'natural'],
    ['legal', 'legal'],
    ['bogus', 'natural'],
  ])('when login_type is %s, then the %s window is preselected', async (loginType, expected) => {
    const { page } = await rp.openAuthorization(newAgent(), loginType ? { login_type: loginType } : {});
    expect(page.status).toBe(200);
    expect(selectedTab(page.body)).toBe(expected);
    const other = expected === 'natural' ? 'legal' : 'natural';
    expect(page.body).toMatch(new RegExp(`id="panel-${other}"[^>]*hidden`));
    expect(page.body).not.toMatch(new RegExp(`id="panel-${expected}"[^>]*hidden`));
  });

  test('when the login page is shown, then each window has labelled login name and password fields and a 登录 button', async () => {
    const { page } = await rp.openAuthorization(newAgent());
    for (const window of ['natural', 'legal']) {
      expect(page.body).toContain(`<label for="${window}-loginName">登录名</label>`);
      expect(page.body).toContain(`<label for="${window}-password">密码</label>`);
      expect(page.body).toContain(`id="${window}-loginName"`);
    }
    expect(page.body).toContain('自然人登录');
    expect(page.body).toContain('法人登录');
    expect(page.body.match(/<button type="submit"[^>]*>登录<\/button>/g)).toHaveLength(2);
  });

  test('when a legal account signs in through the natural window, then it is refused with the message naming the legal window', async () => {
    const legal = await createLegalAccount(app);
    const agent = newAgent();
    const { page } = await rp.openAuthorization(agent);
    const refused = await rp.submitLogin(agent, page, { ...credentials(legal), window: 'natural' });
    expect(refused.status).toBe(400);
    expect(alertText(refused.body)).toBe('该账号为法人账号，请在“法人登录”窗口登录。');
    expect(refused.url).toMatch(/\/interaction\/[^/]+\/login$/); // answered in place, no redirect

    // The same page, in the right window, then works.
    const done = await rp.submitLogin(agent, refused, credentials(legal));
    expect(done.url.startsWith(rp.redirectUri)).toBe(true);
  });

  test('when a natural account signs in through the legal window, then it is refused with the message naming the natural window', async () => {
    const natural = await createNaturalAccount(app);
    const agent = newAgent();
    const { page } = await rp.openAuthorization(agent, { login_type: 'legal' });
    const refused = await rp.submitLogin(agent, page, { ...credentials(natural), window: 'legal' });
    expect(refused.status).toBe(400);
    expect(alertText(refused.body)).toBe('该账号为自然人账号，请在“自然人登录”窗口登录。');
  });

  test('when the window is wrong but the password too, then the generic message is given (the kind is not revealed)', async () => {
    const legal = await createLegalAccount(app);
    const agent = newAgent();
    const { page } = await rp.openAuthorization(agent);
    const refused = await rp.submitLogin(agent, page, { window: 'natural', loginName: legal.loginName, password: 'Wrong-Password-1' });
    expect(refused.status).toBe(401);
    expect(alertText(refused.body)).toBe('登录名或密码错误');
  });

  test('when the password is wrong or the login name unknown, then both answer 401 with the same message, and in similar time', async () => {
    const agent = newAgent();
    const accounts = await Promise.all([createNaturalAccount(app), createNaturalAccount(app)]);
    const { page } = await rp.openAuthorization(agent);
    const timings = { wrongPassword: [] as number[], unknownName: [] as number[] };
    const messages = new Set<string | undefined>();
    const statuses = new Set<number>();

    // Interleaved, three failures per existing name (the captcha comes after the third).
    for (let round = 0; round < 6; round += 1) {
      for (const kind of ['wrongPassword', 'unknownName'] as const) {
        const loginName = kind === 'wrongPassword' ? accounts[round % 2]!.loginName : unique('nobody');
        const started = performance.now();
        const refused = await rp.submitLogin(agent, page, { window: 'natural', loginName, password: 'Wrong-Password-1' });
        timings[kind].push(performance.now() - started);
        statuses.add(refused.status);
        messages.add(alertText(refused.body));
      }
    }
    expect([...statuses]).toEqual([401]);
    expect([...messages]).toEqual(['登录名或密码错误']);
    // The dummy hash: an unknown name costs a password verification too.
    expect(median(timings.unknownName)).toBeGreaterThanOrEqual(0.5 * median(timings.wrongPassword));
  });

  test('when the login form is posted without its CSRF token, or with a token of another login page, then it is refused with 403', async () => {
    const natural = await createNaturalAccount(app);
    const agent = newAgent();
    const { page } = await rp.openAuthorization(agent);
    const other = await rp.openAuthorization(newAgent());

    const missing = await rp.submitLogin(agent, page, credentials(natural), { csrf: null });
    expect(missing.status).toBe(403);
    expect(missing.body).toContain('页面已过期或请求来源无效');
    const foreign = await rp.submitLogin(agent, page, credentials(natural), { csrf: hiddenInput(other.page.body, 'csrf')! });
    expect(foreign.status).toBe(403);

    // Nothing was signed in: the real token still works afterwards.
    const done = await rp.submitLogin(agent, page, credentials(natural));
    expect(done.url.startsWith(rp.redirectUri)).toBe(true);
  });

  test('when the login form is posted to an interaction id that does not exist, then the OP answers with its session-expired page', async () => {
    const agent = newAgent();
    const { page } = await rp.openAuthorization(agent);
    const action = formAction(page.body, /\/login$/, page.url)!.replace(/\/interaction\/[^/]+\//, `/interaction/${unique('x')}/`);
    const response = await agent.request(action, { form: { csrf: hiddenInput(page.body, 'csrf')!, window: 'natural', loginName: 'someone', password: 'x' } });
    expect(response.status).toBe(400);
    expect(response.body).toContain('登录请求已过期');
  });
});
