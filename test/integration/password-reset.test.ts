/**
 * 忘记密码 and 登录名重置密码 through HTTP, as a browser without JavaScript drives them (and the
 * in-place 获取验证码 of register.js as JSON): the entry page, each step's bad inputs, the answers
 * that must not tell an unknown login name from a wrong mobile, the legal unit check, SMS codes
 * (wrong, expired), captchas, rate limits, the flow's states (expired, replayed, skipped, another
 * browser's), and what a reset does: sessions and refresh tokens end, a login lock is lifted, a
 * one-time credential is used up, the SMS notice, the audit log.
 */
import { loginNameKey } from '../../src/accounts/login-name.js';
import { RESET_FLOW_TTL_SECONDS } from '../../src/flows/recovery/password-reset-flow.js';
import { RESET_LIMITS } from '../../src/flows/recovery/password-reset.service.js';
import { LoginRefused } from '../../src/flows/login/login.service.js';
import { createLegalAccount, createNaturalAccount, credentials, uniqueIp, uniqueUscc, type CreatedAccount } from '../support/accounts.js';
import { TestRelyingParty, tokenError } from '../support/oidc-rp.js';
import { outboxCode } from '../support/sms-outbox.js';
import { TestClock } from '../support/test-clock.js';
import { captureLogs, startTestApp, type TestApp, unique, uniqueMobile } from '../support/test-app.js';
import { alertText, currentStep, errorFields, fieldNote, hiddenInput, hrefs, inputValue, UserAgent } from '../support/user-agent.js';

const CAPTCHA_ANSWER = 'rst7';
const NEW_PASSWORD = 'Autumn-Leaves-2027';

type Form = Record<string, string>;

/** What differs between two pages of two flows by nature (ids, tokens, captchas, what was typed), replaced. */
function normalized(html: string, typed: string[]): string {
  let text = html
    .replace(/\/recovery\/reset\/[0-9a-f-]{36}/g, '/recovery/reset/FLOW')
    .replace(/name="csrf" value="[^"]*"/g, 'name="csrf" value="CSRF"')
    .replace(/name="captchaId" value="[^"]*"/g, 'name="captchaId" value="CAPTCHA"')
    .replace(/src="data:image\/svg\+xml;base64,[^"]*"/g, 'src="IMAGE"');
  for (const value of typed) text = text.replaceAll(value, 'TYPED');
  return text;
}

describe('password recovery (忘记密码, 登录名重置密码) over HTTP', () => {
  let app: TestApp;
  const clock = new TestClock();
  const logs = captureLogs();
  const rp = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-pr');

  beforeAll(async () => {
    await rp.listen();
    app = await startTestApp({
      // Each test's agent has an address of its own (X-Forwarded-For), so per-address limits stay per test.
      env: { TRUST_PROXY: 'true', CAPTCHA_TEST_ANSWER: CAPTCHA_ANSWER, LOG_LEVEL: 'info' },
      clients: [rp.clientEntry()],
      clock: clock.now,
      logDestination: logs,
    });
    await rp.discover(app.url);
  });
  afterAll(async () => {
    await app?.close();
    await rp.close();
  });

  interface Flow {
    agent: UserAgent;
    ip: string;
    url: string;
    page: string;
  }

  /** A browser with an address of its own that has started a flow: at step 1. */
  async function startFlow(query = '', agent = new UserAgent({ 'x-forwarded-for': uniqueIp() })): Promise<Flow> {
    const page = await agent.follow(`${app.url}/recovery/reset${query}`);
    expect(page.status).toBe(200);
    expect(page.url).toMatch(/\/recovery\/reset\/[0-9a-f-]{36}$/);
    return { agent, ip: '', url: page.url, page: page.body };
  }

  function lookUp(flow: Flow, loginName: string, captcha = CAPTCHA_ANSWER, csrf = hiddenInput(flow.page, 'csrf') ?? '') {
    return flow.agent.request(`${flow.url}/lookup`, { form: { csrf, captchaId: hiddenInput(flow.page, 'captchaId') ?? '', loginName, captcha } });
  }

  /** A flow at step 2 for `loginName`. */
  async function flowAtStep2(loginName: string, query = ''): Promise<Flow> {
    const flow = await startFlow(query);
    const looked = await lookUp(flow, loginName);
    expect(looked.status).toBe(303);
    const page = await flow.agent.request(flow.url);
    expect(page.status).toBe(200);
    return { ...flow, page: page.body };
  }

  /** Posts the step 2 form (action send_sms or reset) with the page's CSRF token and captcha id. */
  async function postStep2(flow: Flow, action: 'send_sms' | 'reset', form: Form) {
    const response = await flow.agent.request(`${flow.url}/verify`, {
      form: { csrf: hiddenInput(flow.page, 'csrf') ?? '', captchaId: hiddenInput(flow.page, 'captchaId') ?? '', ...form, action },
    });
    if (response.status < 300) flow.page = response.body;
    return response;
  }

  const sendCode = (flow: Flow, mobile: string, captcha = CAPTCHA_ANSWER) => postStep2(flow, 'send_sms', { mobile, captcha });

  async function outbox(mobile: string) {
    return app.context.smsOutbox.recent({ mobile, limit: 10 });
  }

  function naturalForm(mobile: string, smsCode: string, overrides: Form = {}): Form {
    return { mobile, password: NEW_PASSWORD, confirmPassword: NEW_PASSWORD, smsCode, ...overrides };
  }

  function legalForm(account: CreatedAccount, smsCode: string, overrides: Form = {}): Form {
    return { ...naturalForm(account.account.mobile, smsCode), orgName: account.account.legal!.orgName, uscc: account.account.legal!.uscc!, ...overrides };
  }

  async function passwordHash(accountId: string): Promise<string> {
    return (await app.context.db('accounts').where({ id: accountId }).first('password_hash')).password_hash as string;
  }

  async function flowState(url: string): Promise<string> {
    return (await app.context.db('recovery_flows').where({ id: url.split('/').pop() }).first('state')).state as string;
  }

  /** The whole of step 2 for an account, ending on the done page. */
  async function resetPassword(account: CreatedAccount, query = '') {
    const flow = await flowAtStep2(account.loginName, query);
    expect((await sendCode(flow, account.account.mobile)).status).toBe(200);
    const code = await outboxCode(app, account.account.mobile);
    const form = account.window === 'legal' ? legalForm(account, code) : naturalForm(account.account.mobile, code);
    const done = await postStep2(flow, 'reset', form);
    expect(done.status).toBe(303);
    expect(done.location).toBe(flow.url);
    return { flow, done: await flow.agent.request(flow.url) };
  }

  describe('忘记密码: the entry page', () => {
    test('when the login page is opened, then 忘记密码 leads to /recovery with the sign-in to return to', async () => {
      const agent = new UserAgent();
      const { page } = await rp.openAuthorization(agent);
      const uid = /\/interaction\/([^/?]+)$/.exec(page.url)![1]!;
      expect(hrefs(page.body)).toContain(`/recovery?return_to=${encodeURIComponent(`/interaction/${uid}`)}`);
    });

    test('when /recovery is opened from a sign-in, then it offers the four ways, each with when to use it, all carrying return_to, and the wrong-password FAQ', async () => {
      const returnTo = '/interaction/AbC_123-xyz';
      const query = `?return_to=${encodeURIComponent(returnTo)}`;
      const page = await new UserAgent().request(`${app.url}/recovery${query}`);
      expect(page.status).toBe(200);
      const links = hrefs(page.body);
      for (const path of ['/recovery/reset', '/recovery/appeal/natural', '/recovery/appeal/legal', '/recovery/appeal/status']) {
        expect(links).toContain(`${path}${query}`);
      }
      for (const text of ['登录名重置密码', '自然人申诉找回密码', '单位法人用户申诉找回密码', '查询申诉进度', '预留手机号仍能接收短信', '忘记登录名', '加盖单位公章']) {
        expect(page.body).toContain(text);
      }
      expect(page.body).toContain('登录时提示登录名或密码错误怎么办？');
      expect(page.body).toContain('点击登录页的“忘记密码”进行密码找回');
      expect(links).toContain(returnTo); // 返回登录
    });

    test('when return_to is not a local sign-in, then it is dropped from every link', async () => {
      const page = await new UserAgent().request(`${app.url}/recovery?return_to=${encodeURIComponent('https://evil.example/')}`);
      expect(page.status).toBe(200);
      const links = hrefs(page.body);
      expect(links).toContain('/recovery/reset');
      expect(links).toContain('/');
      expect(links.filter((link) => link.includes('evil')).every((link) => link.startsWith('/recovery?'))).toBe(true);
    });

    test('when the page is asked for in English, then it is in English', async () => {
      const page = await new UserAgent().request(`${app.url}/recovery?lang=en`);
      expect(page.body).toContain('Reset by login name');
      expect(page.body).toContain('Appeal as a legal entity');
    });
  });

  describe('step 1: 检索登录名', () => {
    test('when a browser without cookies opens /recovery/reset, then it gets the cookie, comes back once and lands on step 1 of a new flow', async () => {
      const agent = new UserAgent({ 'x-forwarded-for': uniqueIp() });
      const first = await agent.request(`${app.url}/recovery/reset?return_to=%2Fportal`);
      expect(first.status).toBe(303);
      expect(first.location).toBe(`${app.url}/recovery/reset?cookie=1&return_to=%2Fportal`);
      expect(agent.cookie('csrf_id')).toBeTruthy();
      const flow = await startFlow('?return_to=%2Fportal', agent);
      expect(currentStep(flow.page)).toBe('1 检索登录名');
      expect(inputValue(flow.page, 'loginName')).toBe('');
      expect(inputValue(flow.page, 'captcha')).toBe('');
      expect(hiddenInput(flow.page, 'captchaId')).toMatch(/^[0-9a-f-]{36}$/);
      expect(await flowState(flow.url)).toBe('lookup');
    });

    test('when a browser refuses the cookie, then 400 says to allow cookies, no flow', async () => {
      const page = await new UserAgent().request(`${app.url}/recovery/reset?cookie=1`);
      expect(page.status).toBe(400);
      expect(page.body).toContain('请允许浏览器使用 Cookie');
    });

    test.each<[string, Form, Record<string, string>]>([
      ['nothing is given', { loginName: '', captcha: '' }, { loginName: '登录名长度应为 4–64 个字符', captcha: '请输入图形验证码' }],
      ['the login name has other characters', { loginName: '张三丰先生', captcha: CAPTCHA_ANSWER }, { loginName: '登录名只能包含字母、数字和下划线' }],
      ['the captcha is wrong', { loginName: 'someone_1', captcha: 'nope' }, { captcha: '图形验证码错误或已过期，请重新输入' }],
    ])('when %s, then 400 with the field messages, the login name kept, a new captcha, and the flow still at step 1', async (_case, form, messages) => {
      const flow = await startFlow();
      const response = await lookUp(flow, form.loginName!, form.captcha);
      expect(response.status).toBe(400);
      expect(errorFields(response.body)).toEqual(Object.keys(messages).sort());
      for (const [field, text] of Object.entries(messages)) expect(fieldNote(response.body, field)).toEqual({ kind: 'error', text });
      expect(inputValue(response.body, 'loginName')).toBe(form.loginName);
      expect(hiddenInput(response.body, 'captchaId')).not.toBe(hiddenInput(flow.page, 'captchaId'));
      expect(await flowState(flow.url)).toBe('lookup');
    });

    test('when a captcha is used twice, then the second time it is wrong (a captcha answers once)', async () => {
      const natural = await createNaturalAccount(app);
      const flow = await startFlow();
      expect((await lookUp(flow, 'no_such_' + unique(''), 'wrong')).status).toBe(400);
      // The same captcha id again, now with the right answer.
      const again = await lookUp(flow, natural.loginName);
      expect(again.status).toBe(400);
      expect(fieldNote(again.body, 'captcha')?.text).toBe('图形验证码错误或已过期，请重新输入');
    });

    test('when a natural login name and an unknown one are looked up, then both go on to the same natural form, which shows the name as typed', async () => {
      const natural = await createNaturalAccount(app);
      const unknown = unique('nobody');
      const known = await flowAtStep2(natural.loginName.toUpperCase());
      const none = await flowAtStep2(unknown);
      for (const flow of [known, none]) {
        expect(currentStep(flow.page)).toBe('2 验证身份并设置新密码');
        for (const id of ['mobile', 'password', 'confirmPassword', 'captcha', 'smsCode']) expect(inputValue(flow.page, id)).toBeDefined();
        expect(inputValue(flow.page, 'orgName')).toBeUndefined();
        expect(inputValue(flow.page, 'uscc')).toBeUndefined();
      }
      expect(known.page).toContain(`登录名：${natural.loginName.toUpperCase()}`);
      expect(normalized(known.page, [natural.loginName.toUpperCase()])).toBe(normalized(none.page, [unknown]));
    });

    test('when a legal login name is looked up, then the form asks for the unit name and USCC as well', async () => {
      const legal = await createLegalAccount(app);
      const flow = await flowAtStep2(legal.loginName);
      for (const id of ['mobile', 'orgName', 'uscc', 'password', 'confirmPassword', 'smsCode']) expect(inputValue(flow.page, id)).toBe('');
      expect(flow.page).toContain('主代办人手机号');
      // Nothing of the account is shown: not its unit, not its mobile.
      expect(flow.page).not.toContain(legal.account.legal!.orgName);
      expect(flow.page).not.toContain(legal.account.mobile.slice(-4));
    });

    test('when lookups of one flow pass the limit, then 429 with Retry-After', async () => {
      const flow = await startFlow();
      const name = unique('probe');
      for (let i = 0; i < RESET_LIMITS.lookupPerFlow[0]; i += 1) expect((await lookUp(flow, name, 'bad')).status).toBe(400);
      const limited = await lookUp(flow, name, 'bad');
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(alertText(limited.body)).toBe('操作过于频繁，请稍后再试。');
    });

    test('when one login name is looked up past its limit across flows and addresses, then 429 for that name only', async () => {
      const name = unique('probe');
      for (let i = 0; i < RESET_LIMITS.lookupPerLoginName[0]; i += 1) expect((await lookUp(await startFlow(), name)).status).toBe(303);
      const flow = await startFlow();
      expect((await lookUp(flow, name)).status).toBe(429);
      expect((await lookUp(await startFlow(), unique('other'))).status).toBe(303);
    });

    test('when lookups with unsolved captchas name someone, then they do not use up that name\'s budget', async () => {
      const name = unique('victim');
      for (let i = 0; i < RESET_LIMITS.lookupPerLoginName[0]; i += 1) expect((await lookUp(await startFlow(), name, 'bad')).status).toBe(400);
      expect((await lookUp(await startFlow(), name)).status).toBe(303);
    });

    test('when one address looks up past its limit, then 429 whatever the flow or the name', async () => {
      const agent = new UserAgent({ 'x-forwarded-for': uniqueIp() });
      let flow = await startFlow('', agent);
      for (let i = 0; i < RESET_LIMITS.lookupPerAddress[0]; i += 1) {
        if (i % RESET_LIMITS.lookupPerFlow[0] === 0) flow = await startFlow('', agent);
        expect((await lookUp(flow, unique('n'), 'bad')).status).toBe(400);
      }
      flow = await startFlow('', agent);
      expect((await lookUp(flow, unique('n'), 'bad')).status).toBe(429);
    });

    test('when one address starts too many flows, then 429', async () => {
      const agent = new UserAgent({ 'x-forwarded-for': uniqueIp() });
      for (let i = 0; i < RESET_LIMITS.startPerAddress[0]; i += 1) await startFlow('', agent);
      const refused = await agent.request(`${app.url}/recovery/reset`);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    });

    test('when the step 1 captcha is renewed (换一张), then a new challenge comes as JSON', async () => {
      const response = await new UserAgent().request(`${app.url}/recovery/reset/captcha`, { headers: { accept: 'application/json' } });
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), imageDataUrl: expect.stringMatching(/^data:image\/svg\+xml;base64,/) });
    });
  });

  describe('step 2: an unknown login name and a wrong mobile answer alike', () => {
    test('when 获取验证码 and 确定 are used for an unknown name and for an account with a wrong mobile, then status and text are identical and no SMS goes out', async () => {
      const natural = await createNaturalAccount(app);
      const unknown = unique('nobody');
      const known = await flowAtStep2(natural.loginName);
      const none = await flowAtStep2(unknown);
      const wrongMobile = uniqueMobile();
      const anyMobile = uniqueMobile();

      const sentKnown = await sendCode(known, wrongMobile);
      const sentNone = await sendCode(none, anyMobile);
      expect(sentKnown.status).toBe(200);
      expect(sentNone.status).toBe(200);
      expect(fieldNote(sentKnown.body, 'smsCode')).toEqual({ kind: 'ok', text: '若手机号为该账号的预留手机号，验证码已发送，5 分钟内有效；60 秒后可重新获取。' });
      expect(normalized(sentKnown.body, [natural.loginName, wrongMobile])).toBe(normalized(sentNone.body, [unknown, anyMobile]));

      // Asked again at once: the same wait for both.
      const againKnown = await sendCode(known, wrongMobile);
      const againNone = await sendCode(none, anyMobile);
      expect(againKnown.status).toBe(429);
      expect(againNone.status).toBe(429);
      expect(fieldNote(againKnown.body, 'smsCode')).toEqual(fieldNote(againNone.body, 'smsCode'));

      const submittedKnown = await postStep2(known, 'reset', naturalForm(wrongMobile, '123456'));
      const submittedNone = await postStep2(none, 'reset', naturalForm(anyMobile, '123456'));
      expect(submittedKnown.status).toBe(400);
      expect(submittedNone.status).toBe(400);
      expect(alertText(submittedKnown.body)).toBe('手机号或验证码不正确，请核对后重试。如验证码已过期或多次输错，请重新获取。');
      expect(normalized(submittedKnown.body, [natural.loginName, wrongMobile])).toBe(normalized(submittedNone.body, [unknown, anyMobile]));

      expect(await outbox(wrongMobile)).toHaveLength(0);
      expect(await outbox(anyMobile)).toHaveLength(0);
      expect(await outbox(natural.account.mobile)).toHaveLength(0);
    });

    test('when 获取验证码 is used with the reserved mobile, then the answer is the same words, and the code really goes to that mobile', async () => {
      const natural = await createNaturalAccount(app);
      const flow = await flowAtStep2(natural.loginName);
      const sent = await sendCode(flow, natural.account.mobile);
      expect(sent.status).toBe(200);
      expect(fieldNote(sent.body, 'smsCode')?.text).toBe('若手机号为该账号的预留手机号，验证码已发送，5 分钟内有效；60 秒后可重新获取。');
      const [message] = await outbox(natural.account.mobile);
      expect(message).toMatchObject({ template: 'code_reset' });
      expect(message!.text).toMatch(/验证码 \d{6}，您正在找回密码/);
      expect(inputValue(sent.body, 'mobile')).toBe(natural.account.mobile);
    });

    test('when the code is asked for in place (JSON, as register.js does), then the answer is JSON with the wait, and errors are JSON fields', async () => {
      const natural = await createNaturalAccount(app);
      const flow = await flowAtStep2(natural.loginName);
      const headers = { accept: 'application/json', 'x-csrf-token': hiddenInput(flow.page, 'csrf')! };
      const captchaId = hiddenInput(flow.page, 'captchaId')!;
      const bad = await flow.agent.request(`${flow.url}/code`, { json: { mobile: '123', purpose: 'register', captchaId, captcha: '' }, headers });
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.body).fields).toEqual({ mobile: '请输入正确的 11 位手机号码', captcha: '请输入图形验证码' });
      const ok = await flow.agent.request(`${flow.url}/code`, { json: { mobile: natural.account.mobile, captchaId, captcha: CAPTCHA_ANSWER }, headers });
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.body)).toEqual({ resend_after_seconds: 60 });
      expect(await outbox(natural.account.mobile)).toHaveLength(1);
      const noToken = await flow.agent.request(`${flow.url}/code`, { json: { mobile: natural.account.mobile, captchaId, captcha: CAPTCHA_ANSWER }, headers: { accept: 'application/json' } });
      expect(noToken.status).toBe(403);
    });

    test.each<[string, Form, Record<string, string>]>([
      ['the mobile is malformed and no captcha is given', { mobile: '1391234', captcha: '' }, { mobile: '请输入正确的 11 位手机号码', captcha: '请输入图形验证码' }],
      ['the captcha is wrong', { mobile: '13900000000', captcha: 'nope' }, { captcha: '图形验证码错误或已过期，请重新输入' }],
    ])('when 获取验证码 is pressed and %s, then 400 with the field messages and no SMS', async (_case, form, messages) => {
      const flow = await flowAtStep2(unique('nobody'));
      const response = await sendCode(flow, form.mobile!, form.captcha);
      expect(response.status).toBe(400);
      expect(errorFields(response.body)).toEqual(Object.keys(messages).sort());
      for (const [field, text] of Object.entries(messages)) expect(fieldNote(response.body, field)).toEqual({ kind: 'error', text });
      expect(await outbox(form.mobile!)).toHaveLength(0);
    });

    test('when codes of one flow pass the limit, then 429 alike for an unknown name', async () => {
      const flow = await flowAtStep2(unique('nobody'));
      for (let i = 0; i < RESET_LIMITS.codePerFlow[0]; i += 1) {
        expect((await sendCode(flow, uniqueMobile())).status).toBe(200);
      }
      const limited = await sendCode(flow, uniqueMobile());
      expect(limited.status).toBe(429);
      expect(alertText(limited.body)).toBe('操作过于频繁，请稍后再试。');
    });
  });

  describe('step 2: 确定', () => {
    test.each<[string, (form: Form, loginName: string) => Form, string, string]>([
      ['the mobile is malformed', (f) => ({ ...f, mobile: '12912345678' }), 'mobile', '请输入正确的 11 位手机号码'],
      ['the password is too short', (f) => ({ ...f, password: 'Ab1!xyz', confirmPassword: 'Ab1!xyz' }), 'password', '密码至少 8 位'],
      ['the password has too few classes', (f) => ({ ...f, password: 'abcdefgh12', confirmPassword: 'abcdefgh12' }), 'password', '密码须包含大写字母、小写字母、数字、特殊符号中的至少 3 种'],
      ['the password is the login name (other case)', (f, name) => ({ ...f, password: name.toUpperCase(), confirmPassword: name.toUpperCase() }), 'password', '密码不能与登录名相同'],
      ['the confirmation differs', (f) => ({ ...f, confirmPassword: `${f.password}x` }), 'confirmPassword', '两次输入的密码不一致'],
      ['the SMS code is 5 digits', (f) => ({ ...f, smsCode: '12345' }), 'smsCode', '请输入 6 位数字短信验证码'],
    ])('when %s, then 400 with that field message only, what was typed kept (passwords excepted), and the password unchanged', async (_case, change, field, message) => {
      const natural = await createNaturalAccount(app);
      const before = await passwordHash(natural.account.id);
      const flow = await flowAtStep2(natural.loginName);
      const form = change(naturalForm(natural.account.mobile, '654321'), natural.loginName);
      const response = await postStep2(flow, 'reset', form);
      expect(response.status).toBe(400);
      expect(errorFields(response.body)).toEqual([field]);
      expect(fieldNote(response.body, field)).toEqual({ kind: 'error', text: message });
      expect(alertText(response.body)).toBe('请检查填写的内容');
      expect(response.body).toMatch(new RegExp(`name="${field}"[^>]*aria-describedby="[^"]*\\b${field}-note\\b[^"]*"[^>]*aria-invalid="true"`));
      expect(inputValue(response.body, 'mobile')).toBe(form.mobile);
      expect(inputValue(response.body, 'smsCode')).toBe(form.smsCode);
      expect(inputValue(response.body, 'password')).toBe('');
      expect(inputValue(response.body, 'confirmPassword')).toBe('');
      expect(await passwordHash(natural.account.id)).toBe(before);
      expect(await flowState(flow.url)).toBe('verify');
    });

    test('when the SMS code is wrong, and then expired, then the one mismatch answer each time and the password unchanged; a new code then resets it', async () => {
      const natural = await createNaturalAccount(app);
      const before = await passwordHash(natural.account.id);
      const flow = await flowAtStep2(natural.loginName);
      await sendCode(flow, natural.account.mobile);
      const code = await outboxCode(app, natural.account.mobile);
      const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');

      const refusedWrong = await postStep2(flow, 'reset', naturalForm(natural.account.mobile, wrong));
      expect(refusedWrong.status).toBe(400);
      expect(alertText(refusedWrong.body)).toBe('手机号或验证码不正确，请核对后重试。如验证码已过期或多次输错，请重新获取。');

      clock.advance(301);
      const refusedExpired = await postStep2(flow, 'reset', naturalForm(natural.account.mobile, code));
      expect(refusedExpired.status).toBe(400);
      expect(alertText(refusedExpired.body)).toBe(alertText(refusedWrong.body));
      expect(await passwordHash(natural.account.id)).toBe(before);

      await sendCode(flow, natural.account.mobile);
      const fresh = await outboxCode(app, natural.account.mobile);
      expect((await postStep2(flow, 'reset', naturalForm(natural.account.mobile, fresh))).status).toBe(303);
      expect(await passwordHash(natural.account.id)).not.toBe(before);
    });

    test('when the right code is used with another mobile, then the mismatch answer (the code belongs to the reserved mobile only)', async () => {
      const natural = await createNaturalAccount(app);
      const flow = await flowAtStep2(natural.loginName);
      await sendCode(flow, natural.account.mobile);
      const code = await outboxCode(app, natural.account.mobile);
      const refused = await postStep2(flow, 'reset', naturalForm(uniqueMobile(), code));
      expect(refused.status).toBe(400);
      expect(alertText(refused.body)).toMatch(/^手机号或验证码不正确/);
      // The code was not spent by the refusal: with the right mobile it still works.
      expect((await postStep2(flow, 'reset', naturalForm(natural.account.mobile, code))).status).toBe(303);
    });

    test('when a disabled account is reset, then no code is sent and 确定 gets the mismatch answer', async () => {
      const natural = await createNaturalAccount(app);
      await app.context.db('accounts').where({ id: natural.account.id }).update({ status: 'disabled' });
      const flow = await flowAtStep2(natural.loginName);
      expect((await sendCode(flow, natural.account.mobile)).status).toBe(200);
      expect(await outbox(natural.account.mobile)).toHaveLength(0);
      expect((await postStep2(flow, 'reset', naturalForm(natural.account.mobile, '123456'))).status).toBe(400);
    });

    test('when 确定 is tried past the limit of the flow, then 429 and the failures and the refusal are audited', async () => {
      const natural = await createNaturalAccount(app);
      const flow = await flowAtStep2(natural.loginName);
      for (let i = 0; i < RESET_LIMITS.resetPerFlow[0]; i += 1) {
        expect((await postStep2(flow, 'reset', naturalForm(natural.account.mobile, '000000'))).status).toBe(400);
      }
      const limited = await postStep2(flow, 'reset', naturalForm(natural.account.mobile, '000000'));
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
      const events = await app.context.db('audit_events').where({ event: 'password.reset', subject_id: natural.account.id }).select('outcome', 'details');
      expect(events.filter((e) => e.outcome === 'failure')).toHaveLength(RESET_LIMITS.resetPerFlow[0]);
      expect(events.filter((e) => e.outcome === 'refused')).toHaveLength(1);
    });

    test('when 确定 is tried past the limit of the login name, over several flows, then 429', async () => {
      const natural = await createNaturalAccount(app);
      let flow = await flowAtStep2(natural.loginName);
      for (let i = 0; i < RESET_LIMITS.resetPerLoginName[0]; i += 1) {
        if (i > 0 && i % RESET_LIMITS.resetPerFlow[0] === 0) flow = await flowAtStep2(natural.loginName);
        expect((await postStep2(flow, 'reset', naturalForm(natural.account.mobile, '000000'))).status).toBe(400);
      }
      flow = await flowAtStep2(natural.loginName);
      expect((await postStep2(flow, 'reset', naturalForm(natural.account.mobile, '000000'))).status).toBe(429);
    });
  });

  describe('a legal account', () => {
    test('when the unit name or the USCC does not match, then the one legal mismatch answer, and a unit name written differently (full-width, spaces) still matches', async () => {
      const legal = await createLegalAccount(app, { orgName: `北京(测试)科技有限公司${unique('')}` });
      const before = await passwordHash(legal.account.id);
      const flow = await flowAtStep2(legal.loginName);
      await sendCode(flow, legal.account.mobile);
      const code = await outboxCode(app, legal.account.mobile);

      const wrongName = await postStep2(flow, 'reset', legalForm(legal, code, { orgName: '另一家科技有限公司' }));
      expect(wrongName.status).toBe(400);
      expect(alertText(wrongName.body)).toBe('手机号、单位信息或验证码不正确，请核对后重试。如验证码已过期或多次输错，请重新获取。');
      expect(inputValue(wrongName.body, 'orgName')).toBe('另一家科技有限公司');
      const wrongUscc = await postStep2(flow, 'reset', legalForm(legal, code, { uscc: uniqueUscc() }));
      expect(wrongUscc.status).toBe(400);
      expect(alertText(wrongUscc.body)).toBe(alertText(wrongName.body));
      const wrongMobile = await postStep2(flow, 'reset', legalForm(legal, code, { mobile: uniqueMobile() }));
      expect(alertText(wrongMobile.body)).toBe(alertText(wrongName.body));
      expect(await passwordHash(legal.account.id)).toBe(before);

      const written = legal.account.legal!.orgName.replace('(', '（').replace(')', '） ');
      const done = await postStep2(flow, 'reset', legalForm(legal, code, { orgName: written, uscc: legal.account.legal!.uscc!.toLowerCase() }));
      expect(done.status).toBe(303);
      expect(await passwordHash(legal.account.id)).not.toBe(before);
      const events = await app.context.db('audit_events').where({ event: 'password.reset', subject_id: legal.account.id }).orderBy('id').select('outcome', 'details');
      expect(events.map((e) => [e.outcome, e.details.reason])).toEqual([
        ['failure', 'unit'],
        ['failure', 'unit'],
        ['failure', 'mobile'],
        ['success', undefined],
      ]);
    });

    test('when the unit name or USCC is left empty, then 400 with their field messages', async () => {
      const legal = await createLegalAccount(app);
      const flow = await flowAtStep2(legal.loginName);
      const response = await postStep2(flow, 'reset', legalForm(legal, '123456', { orgName: ' ', uscc: '' }));
      expect(response.status).toBe(400);
      expect(errorFields(response.body)).toEqual(['orgName', 'uscc']);
      expect(fieldNote(response.body, 'uscc')?.text).toBe('请输入统一社会信用代码（港澳台地区及境外单位填写注册号码）');
    });

    test('when a unit without a USCC (registered abroad) gives its registration number, then it resets', async () => {
      const number = `HK${Date.now()}`;
      const legal = await createLegalAccount(app, { uscc: undefined, registrationRegion: 'hmt', registrationNumber: number });
      const flow = await flowAtStep2(legal.loginName);
      await sendCode(flow, legal.account.mobile);
      const code = await outboxCode(app, legal.account.mobile);
      expect((await postStep2(flow, 'reset', legalForm(legal, code, { uscc: number }))).status).toBe(303);
    });
  });

  describe('the flow: no step skipped, replayed, expired or taken over', () => {
    test('when step 2 is posted to a flow still at step 1, then 409 with a page to go on, no SMS and nothing changed', async () => {
      const natural = await createNaturalAccount(app);
      const before = await passwordHash(natural.account.id);
      const flow = await startFlow();
      const skipped = await postStep2(flow, 'send_sms', { mobile: natural.account.mobile, captcha: CAPTCHA_ANSWER });
      expect(skipped.status).toBe(409);
      expect(skipped.body).toContain('该步骤尚未开始或已经完成');
      expect(hrefs(skipped.body)).toContain(new URL(flow.url).pathname);
      const reset = await postStep2(flow, 'reset', naturalForm(natural.account.mobile, '123456'));
      expect(reset.status).toBe(409);
      expect(await outbox(natural.account.mobile)).toHaveLength(0);
      expect(await passwordHash(natural.account.id)).toBe(before);
      expect(await flowState(flow.url)).toBe('lookup');
    });

    test('when step 1 is posted again to a flow at step 2, then 409 and the flow keeps its login name', async () => {
      const natural = await createNaturalAccount(app);
      const flow = await flowAtStep2(natural.loginName);
      const again = await flow.agent.request(`${flow.url}/lookup`, { form: { csrf: hiddenInput(flow.page, 'csrf')!, loginName: unique('other'), captcha: CAPTCHA_ANSWER } });
      expect(again.status).toBe(409);
      expect((await flow.agent.request(flow.url)).body).toContain(`登录名：${natural.loginName}`);
    });

    test('when step 3 (确定) is replayed after the reset, then 409 with a link to the result, and nothing changes again', async () => {
      const natural = await createNaturalAccount(app);
      const { flow } = await resetPassword(natural);
      const after = await passwordHash(natural.account.id);
      const events = await app.context.db('audit_events').where({ event: 'password.reset', subject_id: natural.account.id }).count<{ count: string }[]>({ count: '*' });
      const replay = await postStep2(flow, 'reset', naturalForm(natural.account.mobile, '123456', { password: 'Other-Password-99', confirmPassword: 'Other-Password-99' }));
      expect(replay.status).toBe(409);
      expect(replay.body).toContain('密码已经重置，无需再次提交。');
      expect(replay.body).toContain('查看结果');
      expect(await passwordHash(natural.account.id)).toBe(after);
      const resend = await postStep2(flow, 'send_sms', { mobile: natural.account.mobile, captcha: CAPTCHA_ANSWER });
      expect(resend.status).toBe(409);
      expect(await app.context.db('audit_events').where({ event: 'password.reset', subject_id: natural.account.id }).count<{ count: string }[]>({ count: '*' })).toEqual(events);
    });

    test('when the flow has expired (clock past 15 minutes), then its page and its steps answer 404 with a way to start again, nothing changed', async () => {
      const natural = await createNaturalAccount(app);
      const before = await passwordHash(natural.account.id);
      const flow = await flowAtStep2(natural.loginName, `?return_to=${encodeURIComponent('/portal/me')}`);
      await sendCode(flow, natural.account.mobile);
      const code = await outboxCode(app, natural.account.mobile);
      clock.advance(RESET_FLOW_TTL_SECONDS + 1);
      const page = await flow.agent.request(flow.url);
      expect(page.status).toBe(404);
      expect(page.body).toContain('找回密码页面已过期或无效，请重新开始。');
      expect(hrefs(page.body)).toContain('/recovery/reset');
      const posted = await postStep2(flow, 'reset', naturalForm(natural.account.mobile, code));
      expect(posted.status).toBe(404);
      expect(await passwordHash(natural.account.id)).toBe(before);
    });

    test('when another browser opens or posts to a flow, then 404, and the flow is untouched', async () => {
      const natural = await createNaturalAccount(app);
      const flow = await flowAtStep2(natural.loginName);
      const other = await startFlow();
      const seen = await other.agent.request(flow.url);
      expect(seen.status).toBe(404);
      expect(seen.body).not.toContain(natural.loginName);
      const posted = await other.agent.request(`${flow.url}/verify`, {
        form: { csrf: hiddenInput(other.page, 'csrf')!, action: 'send_sms', mobile: natural.account.mobile, captcha: CAPTCHA_ANSWER, captchaId: hiddenInput(other.page, 'captchaId')! },
      });
      expect(posted.status).toBe(404);
      expect(await outbox(natural.account.mobile)).toHaveLength(0);
      expect((await flow.agent.request(flow.url)).status).toBe(200);
    });

    test('when a step is posted without the CSRF token, then 403 and nothing changes', async () => {
      const flow = await startFlow();
      const response = await lookUp(flow, unique('n'), CAPTCHA_ANSWER, '');
      expect(response.status).toBe(403);
      expect(await flowState(flow.url)).toBe('lookup');
    });

    test('when a made-up flow id is opened, then 404', async () => {
      const agent = new UserAgent();
      expect((await agent.request(`${app.url}/recovery/reset/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
      expect((await agent.request(`${app.url}/recovery/reset/not-a-flow`)).status).toBe(404);
    });
  });

  describe('what a reset does', () => {
    test('when the password is reset, then the done page offers 确定并跳转至政务服务平台 to the portal, the new password signs in and the old does not', async () => {
      const natural = await createNaturalAccount(app);
      const { done } = await resetPassword(natural);
      expect(done.status).toBe(200);
      expect(currentStep(done.body)).toBe('3 完成');
      expect(done.body).toContain(`登录名 ${natural.loginName} 的密码已重置`);
      expect(done.body).toMatch(/<a class="button button--primary" href="\/portal\/login\?login_type=natural">确定并跳转至政务服务平台<\/a>/);
      const ip = uniqueIp();
      await expect(app.context.login.authenticate({ window: 'natural', loginName: natural.loginName, password: NEW_PASSWORD, ip })).resolves.toEqual({ accountId: natural.account.id, method: 'password' });
      await expect(app.context.login.authenticate({ window: 'natural', loginName: natural.loginName, password: natural.password, ip: uniqueIp() })).rejects.toBeInstanceOf(LoginRefused);
    });

    test('when the reset started from a sign-in, then 确定并跳转至政务服务平台 returns to it while it waits, and the new password completes it', async () => {
      const natural = await createNaturalAccount(app);
      const agent = new UserAgent({ 'x-forwarded-for': uniqueIp() });
      const { request, page } = await rp.openAuthorization(agent);
      const signIn = new URL(page.url).pathname;
      const recovery = hrefs(page.body).find((href) => href.startsWith('/recovery?'))!;
      const entry = await agent.request(`${app.url}${recovery}`);
      const resetLink = hrefs(entry.body).find((href) => href.startsWith('/recovery/reset?'))!;
      expect(resetLink).toBe(`/recovery/reset?return_to=${encodeURIComponent(signIn)}`);

      const flow = await startFlow(resetLink.slice('/recovery/reset'.length), agent);
      expect((await lookUp(flow, natural.loginName)).status).toBe(303);
      flow.page = (await agent.request(flow.url)).body;
      await sendCode(flow, natural.account.mobile);
      expect((await postStep2(flow, 'reset', naturalForm(natural.account.mobile, await outboxCode(app, natural.account.mobile)))).status).toBe(303);
      const done = await agent.request(flow.url);
      expect(done.body).toContain(`href="${signIn}"`);

      const login = await agent.request(`${app.url}${signIn}`);
      const tokens = await rp.callback((await rp.submitLogin(agent, { url: `${app.url}${signIn}`, body: login.body }, { window: 'natural', loginName: natural.loginName, password: NEW_PASSWORD })).url, request);
      expect(tokens.claims()!.sub).toBe(natural.account.id);
    });

    test('when the sign-in it came from has ended, then 确定并跳转至政务服务平台 goes to the portal instead', async () => {
      const natural = await createNaturalAccount(app);
      const { done } = await resetPassword(natural, `?return_to=${encodeURIComponent('/interaction/NoSuchSignIn_1')}`);
      expect(hrefs(done.body)).toContain('/portal/login?login_type=natural');
      expect(hrefs(done.body)).not.toContain('/interaction/NoSuchSignIn_1');
    });

    test('when a signed-in account is reset, then its refresh token no longer works and its OP session has ended', async () => {
      const natural = await createNaturalAccount(app);
      const tokens = await rp.signIn(new UserAgent(), credentials(natural), { scope: 'openid offline_access', prompt: 'consent' });
      expect(tokens.refresh_token).toEqual(expect.any(String));
      await resetPassword(natural);
      expect(await tokenError(rp.refresh(tokens.refresh_token!))).toBe('invalid_grant');
      expect(await app.context.db('oidc_models').whereRaw(`payload->>'accountId' = ?`, [natural.account.id])).toHaveLength(0);
    });

    test('when a locked account is reset, then the lock is lifted and the new password signs in at once', async () => {
      const natural = await createNaturalAccount(app);
      const ip = uniqueIp();
      for (let i = 0; i < 5; i += 1) {
        const captcha = await app.context.captchas.create('login');
        await expect(
          app.context.login.authenticate({ window: 'natural', loginName: natural.loginName, password: 'Wrong-Password-1', ip, captchaId: captcha.id, captchaAnswer: CAPTCHA_ANSWER }),
        ).rejects.toBeInstanceOf(LoginRefused);
      }
      const locked = await app.context.login.authenticate({ window: 'natural', loginName: natural.loginName, password: natural.password, ip }).catch((error: LoginRefused) => error);
      expect(locked).toMatchObject({ code: 'login.error.locked', status: 429 });

      await resetPassword(natural);
      expect(await app.context.db('login_throttles').where({ login_name_key: loginNameKey(natural.loginName) })).toHaveLength(0);
      await expect(app.context.login.authenticate({ window: 'natural', loginName: natural.loginName, password: NEW_PASSWORD, ip })).resolves.toEqual({ accountId: natural.account.id, method: 'password' });
    });

    test('when an account with an outstanding one-time credential is reset, then the credential is used up', async () => {
      const natural = await createNaturalAccount(app);
      const { credential } = await app.context.oneTimeCredentials.issue(natural.account.id, 'test');
      await resetPassword(natural);
      expect(await app.context.oneTimeCredentials.outstanding(natural.account.id)).toBe(false);
      expect(await app.context.oneTimeCredentials.matches(natural.account.id, credential)).toBe(false);
      const [event] = await app.context.db('audit_events').where({ event: 'password.reset', outcome: 'success', subject_id: natural.account.id }).select('details');
      expect(event.details.oneTimeCredentialUsed).toBe(true);
    });

    test('when the password is reset, then an SMS notice with the login name and the Beijing time goes to the reserved mobile', async () => {
      const natural = await createNaturalAccount(app);
      await resetPassword(natural);
      const [notice] = await outbox(natural.account.mobile);
      expect(notice).toMatchObject({ template: 'notice_password_reset' });
      const beijing = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
      expect(notice!.text).toBe(`【科技部政务服务平台】您的账号 ${natural.loginName} 的密码已于 ${beijing.format(clock.now())} 重置。如非本人操作，请立即联系技术支持。`);
    });

    test('when a reset succeeds and fails, then password.reset is audited with actor anonymous, the account, the address and the outcome, and no secret in any row or log line', async () => {
      const natural = await createNaturalAccount(app);
      const ip = uniqueIp();
      const agent = new UserAgent({ 'x-forwarded-for': ip });
      const flow = await startFlow('', agent);
      await lookUp(flow, natural.loginName);
      flow.page = (await agent.request(flow.url)).body;
      await sendCode(flow, natural.account.mobile);
      const code = await outboxCode(app, natural.account.mobile);
      await postStep2(flow, 'reset', naturalForm(natural.account.mobile, '000000'));
      await postStep2(flow, 'reset', naturalForm(natural.account.mobile, code));

      const events = await app.context.db('audit_events').where({ ip }).whereLike('event', 'password.reset%').orderBy('id').select();
      expect(events.map((e) => [e.event, e.outcome, e.actor_type, e.subject_type, e.subject_id])).toEqual([
        ['password.reset_lookup', 'success', 'anonymous', 'account', natural.account.id],
        ['password.reset', 'failure', 'anonymous', 'account', natural.account.id],
        ['password.reset', 'success', 'anonymous', 'account', natural.account.id],
      ]);
      expect(events[1].details).toMatchObject({ reason: 'sms_code', smsError: 'sms.error.code_wrong' });
      const everything = JSON.stringify(await app.context.db('audit_events').where({ ip })) + JSON.stringify(await app.context.db('recovery_flows').where({ id: flow.url.split('/').pop() })) + logs.text();
      for (const secret of [NEW_PASSWORD, code, natural.account.mobile]) expect(everything).not.toContain(secret);
    });

    test('when an unknown login name fails at 确定, then the failure is audited by the lower-case name', async () => {
      const name = unique('Nobody');
      const flow = await flowAtStep2(name);
      await postStep2(flow, 'reset', naturalForm(uniqueMobile(), '123456'));
      const [event] = await app.context.db('audit_events').where({ event: 'password.reset', subject_type: 'login_name', subject_id: name.toLowerCase() }).select('outcome', 'details');
      expect(event).toMatchObject({ outcome: 'failure', details: { reason: 'unknown_login_name' } });
    });
  });
});
