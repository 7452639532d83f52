/** POST /sms/code, GET /captcha/sms and the development outbox page, over HTTP. */
import { CsrfTokens } from '../../src/security/csrf.js';
import { sharedSecret } from '../../src/security/app-secrets.js';
import { uniqueIp } from '../support/accounts.js';
import { answers, FakeGateway, tencent } from '../support/fake-sms-gateways.js';
import { startTestApp, uniqueMobile, type TestApp } from '../support/test-app.js';
import { UserAgent } from '../support/user-agent.js';

const CAPTCHA_ANSWER = 'test1';
const baseEnv = { TRUST_PROXY: 'true', CAPTCHA_TEST_ANSWER: CAPTCHA_ANSWER };

/** A browser with an address of its own that asks for JSON, and the CSRF token its cookie earns. */
async function browser(app: TestApp) {
  const agent = new UserAgent({ 'x-forwarded-for': uniqueIp(), accept: 'application/json' });
  const captcha = await agent.request(`${app.url}/captcha/sms`);
  const tokens = new CsrfTokens(await sharedSecret(app.context.db, app.context.crypt, 'csrf_key'));
  const challenge = JSON.parse(captcha.body) as { id: string; csrf: string };
  const csrf = tokens.issue(`browser:${agent.cookie('csrf_id')}`);
  expect(challenge.csrf).toBe(csrf);
  return { agent, csrf, captchaId: challenge.id };
}

async function newCaptcha(app: TestApp, agent: UserAgent): Promise<string> {
  return (JSON.parse((await agent.request(`${app.url}/captcha/sms`)).body) as { id: string }).id;
}

const json = (response: { body: string }) => JSON.parse(response.body);

describe('SMS code endpoint with the development outbox', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ env: baseEnv });
  });
  afterAll(() => app?.close());

  const outbox = (mobile: string) => app.context.smsOutbox.recent({ mobile, limit: 10 });

  test('when a captcha is asked for, then a JSON challenge with an SVG image comes back, not cached', async () => {
    const agent = new UserAgent({ 'x-forwarded-for': uniqueIp() });
    const response = await agent.request(`${app.url}/captcha/sms`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(json(response)).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      imageDataUrl: expect.stringMatching(/^data:image\/svg\+xml;base64,/),
      csrf: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
  });

  test('when one address asks for more than 30 captchas in a minute, then it gets 429 with Retry-After', async () => {
    const agent = new UserAgent({ 'x-forwarded-for': uniqueIp(), accept: 'application/json' });
    for (let i = 0; i < 30; i += 1) expect((await agent.request(`${app.url}/captcha/sms`)).status).toBe(200);
    const limited = await agent.request(`${app.url}/captcha/sms`);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(json(limited).error).toBe('error.too_many_requests');
  });

  test('when the form is complete (JSON), then 200 with resend_after_seconds and the code is in the outbox', async () => {
    const { agent, csrf, captchaId } = await browser(app);
    const mobile = uniqueMobile();
    const response = await agent.request(`${app.url}/sms/code`, { json: { mobile, purpose: 'register', captchaId, captcha: CAPTCHA_ANSWER }, headers: { 'x-csrf-token': csrf } });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(json(response)).toEqual({ resend_after_seconds: 60 });
    expect(await outbox(mobile)).toHaveLength(1);
  });

  test('when the form is posted url-encoded with the token in the csrf field, then the code is sent too', async () => {
    const { agent, csrf, captchaId } = await browser(app);
    const mobile = uniqueMobile();
    const response = await agent.request(`${app.url}/sms/code`, { form: { csrf, mobile, purpose: 'appeal', captchaId, captcha: CAPTCHA_ANSWER } });
    expect(response.status).toBe(200);
    expect((await outbox(mobile))[0]?.template).toBe('code_appeal');
  });

  test.each(['reset', 'authorize', 'change_mobile'])(
    'when a %s code is asked for here, then 400: such codes go only to a reserved mobile, through their own flow',
    async (purpose) => {
      const { agent, csrf, captchaId } = await browser(app);
      const mobile = uniqueMobile();
      const response = await agent.request(`${app.url}/sms/code`, { json: { mobile, purpose, captchaId, captcha: CAPTCHA_ANSWER }, headers: { 'x-csrf-token': csrf } });
      expect(response.status).toBe(400);
      expect(json(response)).toMatchObject({ fields: { purpose: '验证码用途无效' } });
      expect(await outbox(mobile)).toHaveLength(0);
    },
  );

  test('when the CSRF token is missing or belongs to another browser, then 403 and nothing is sent', async () => {
    const { agent, captchaId } = await browser(app);
    const other = await browser(app);
    const mobile = uniqueMobile();
    const form = { mobile, purpose: 'register', captchaId, captcha: CAPTCHA_ANSWER };
    const missing = await agent.request(`${app.url}/sms/code`, { json: form });
    expect(missing.status).toBe(403);
    expect(json(missing).error).toBe('error.csrf');
    const foreign = await agent.request(`${app.url}/sms/code`, { json: form, headers: { 'x-csrf-token': other.csrf } });
    expect(foreign.status).toBe(403);
    expect(await outbox(mobile)).toHaveLength(0);
  });

  test('when the captcha is missing or wrong, then 400 with the captcha field message and nothing is sent', async () => {
    const { agent, csrf, captchaId } = await browser(app);
    const mobile = uniqueMobile();
    const missing = await agent.request(`${app.url}/sms/code`, { json: { mobile, purpose: 'register', captchaId }, headers: { 'x-csrf-token': csrf } });
    expect(missing.status).toBe(400);
    expect(json(missing).fields).toEqual({ captcha: '请输入图形验证码' });
    const wrong = await agent.request(`${app.url}/sms/code`, { json: { mobile, purpose: 'register', captchaId, captcha: 'nope' }, headers: { 'x-csrf-token': csrf } });
    expect(wrong.status).toBe(400);
    expect(json(wrong).fields).toEqual({ captcha: '图形验证码错误或已过期，请重新输入' });
    // The captcha died at its first check: the right answer no longer passes with it.
    const replay = await agent.request(`${app.url}/sms/code`, { json: { mobile, purpose: 'register', captchaId, captcha: CAPTCHA_ANSWER }, headers: { 'x-csrf-token': csrf } });
    expect(replay.status).toBe(400);
    expect(await outbox(mobile)).toHaveLength(0);
  });

  test('when the mobile and purpose are bad, then 400 names both fields, and the captcha is not spent on it', async () => {
    const { agent, csrf, captchaId } = await browser(app);
    const bad = await agent.request(`${app.url}/sms/code`, { json: { mobile: '1381234', purpose: 'spam', captchaId, captcha: CAPTCHA_ANSWER }, headers: { 'x-csrf-token': csrf } });
    expect(bad.status).toBe(400);
    expect(json(bad)).toMatchObject({ error: 'error.validation', fields: { mobile: '请输入正确的 11 位手机号码', purpose: '验证码用途无效' } });
    const mobile = uniqueMobile();
    const fixed = await agent.request(`${app.url}/sms/code`, { json: { mobile, purpose: 'register', captchaId, captcha: CAPTCHA_ANSWER }, headers: { 'x-csrf-token': csrf } });
    expect(fixed.status).toBe(200);
  });

  test.each([
    ['a number for the mobile', { mobile: 13912345678, purpose: 'register' }],
    ['an array for the purpose', { mobile: '13912345678', purpose: ['register'] }],
    ['no fields at all', {}],
  ])('when the JSON body has %s, then 400 with field messages, never a 500', async (_name, body) => {
    const { agent, csrf, captchaId } = await browser(app);
    const response = await agent.request(`${app.url}/sms/code`, { json: { captchaId, captcha: CAPTCHA_ANSWER, ...body }, headers: { 'x-csrf-token': csrf } });
    expect(response.status).toBe(400);
    expect(Object.keys(json(response).fields).length).toBeGreaterThan(0);
  });

  test('when the body is not valid JSON, then 400, never a 500', async () => {
    const broken = await fetch(`${app.url}/sms/code`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: '{"mobile": ' });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: string }).error).toBe('error.validation');
  });

  test('when the body is larger than a code request can be, then 413, never a 500', async () => {
    const huge = await fetch(`${app.url}/sms/code`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ mobile: '1'.repeat(20_000) }),
    });
    expect(huge.status).toBe(413);
  });

  test('when a second code is asked within 60 s, then 429 with Retry-After and the wait in the message', async () => {
    const { agent, csrf, captchaId } = await browser(app);
    const mobile = uniqueMobile();
    expect((await agent.request(`${app.url}/sms/code`, { json: { mobile, purpose: 'register', captchaId, captcha: CAPTCHA_ANSWER }, headers: { 'x-csrf-token': csrf } })).status).toBe(200);
    const again = await agent.request(`${app.url}/sms/code`, {
      json: { mobile, purpose: 'register', captchaId: await newCaptcha(app, agent), captcha: CAPTCHA_ANSWER },
      headers: { 'x-csrf-token': csrf },
    });
    expect(again.status).toBe(429);
    const wait = Number(again.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    expect(json(again)).toMatchObject({ error: 'sms.error.resend_too_early', fields: { smsCode: `验证码已发送，请 ${wait} 秒后再重新获取` } });
  });

  test('when the page is in English, then the messages are in English', async () => {
    const { agent, csrf } = await browser(app);
    await agent.request(`${app.url}/help?lang=en`);
    const response = await agent.request(`${app.url}/sms/code`, { json: { mobile: 'x', purpose: 'register' }, headers: { 'x-csrf-token': csrf } });
    expect(json(response).fields).toEqual({ mobile: 'Enter a valid 11-digit mainland mobile number', captcha: 'Enter the image code' });
  });

  test('when the development outbox page is opened, then it lists messages newest first with the full mobile, and filters by mobile', async () => {
    const mobile = uniqueMobile();
    const ip = uniqueIp();
    await app.context.smsCodes.requestCode({ mobile, purpose: 'register', ip });
    const other = uniqueMobile();
    await app.context.smsCodes.requestCode({ mobile: other, purpose: 'lookup', ip });
    const page = await new UserAgent().request(`${app.url}/dev/sms-outbox`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('短信发件箱（开发环境）');
    expect(page.body.indexOf(other)).toBeGreaterThan(-1);
    expect(page.body.indexOf(other)).toBeLessThan(page.body.indexOf(mobile));

    const filtered = await new UserAgent().request(`${app.url}/dev/sms-outbox?mobile=${mobile}`);
    expect(filtered.body).toContain(mobile);
    expect(filtered.body).not.toContain(other);
    expect(filtered.body).toMatch(/验证码 \d{6}，您正在注册账号/);
  });
});

describe('SMS code endpoint with a gateway', () => {
  const gateway = new FakeGateway();
  let app: TestApp;

  beforeAll(async () => {
    await gateway.listen();
  });
  afterAll(() => gateway.close());
  afterEach(() => app?.close());

  test('when the HTTP gateway answers 500, then 503 "try later", no code is left standing and a retry is not told to wait', async () => {
    app = await startTestApp({ env: { ...baseEnv, SMS_ADAPTER: 'http', SMS_HTTP_URL: gateway.url, SMS_HTTP_TOKEN: 'gateway-token-0123456789', SMS_TIMEOUT_MS: '500' } });
    gateway.answer = answers.json(500, {});
    const { agent, csrf, captchaId } = await browser(app);
    const mobile = uniqueMobile();
    const down = await agent.request(`${app.url}/sms/code`, { json: { mobile, purpose: 'register', captchaId, captcha: CAPTCHA_ANSWER }, headers: { 'x-csrf-token': csrf } });
    expect(down.status).toBe(503);
    expect(json(down)).toMatchObject({ error: 'sms.error.unavailable', error_description: '短信发送服务暂时不可用，请稍后再试' });
    const index = app.context.crypt.blindIndex(mobile);
    expect(await app.context.db('sms_codes').where({ mobile_index: index })).toHaveLength(0);
    expect(await app.context.db('audit_events').where({ subject_id: index, event: 'sms.send_failed' }).first('outcome')).toEqual({ outcome: 'failure' });

    gateway.answer = answers.json(200, { ok: true });
    const retry = await agent.request(`${app.url}/sms/code`, {
      json: { mobile, purpose: 'register', captchaId: await newCaptcha(app, agent), captcha: CAPTCHA_ANSWER },
      headers: { 'x-csrf-token': csrf },
    });
    expect(retry.status).toBe(200);
    const sent = gateway.requests.at(-1)!.body as { mobile: string; params: { code: string } };
    expect(sent.mobile).toBe(mobile);
    await expect(app.context.smsCodes.verifyCode({ mobile, purpose: 'register', code: sent.params.code })).resolves.toBeUndefined();
  });

  test('when the HTTP gateway does not answer in time, then 503, not a 500', async () => {
    app = await startTestApp({ env: { ...baseEnv, SMS_ADAPTER: 'http', SMS_HTTP_URL: gateway.url, SMS_HTTP_TOKEN: 'gateway-token-0123456789', SMS_TIMEOUT_MS: '300' } });
    gateway.answer = answers.silence();
    const { agent, csrf, captchaId } = await browser(app);
    const response = await agent.request(`${app.url}/sms/code`, { json: { mobile: uniqueMobile(), purpose: 'appeal', captchaId, captcha: CAPTCHA_ANSWER }, headers: { 'x-csrf-token': csrf } });
    expect(response.status).toBe(503);
  });

  test('when Tencent Cloud SMS is the adapter, then the code travels as a template parameter and verifies', async () => {
    const templates = { SMS_TEMPLATE_REGISTER: '2000001', SMS_TEMPLATE_RESET: '2000002', SMS_TEMPLATE_APPEAL: '2000003', SMS_TEMPLATE_CHANGE_MOBILE: '2000004', SMS_TEMPLATE_LOOKUP: '2000005', SMS_TEMPLATE_AUTHORIZE: '2000006', SMS_TEMPLATE_NOTICE_PASSWORD_RESET: '2000007', SMS_TEMPLATE_NOTICE_APPEAL_APPROVED: '2000008', SMS_TEMPLATE_NOTICE_APPEAL_REJECTED: '2000009' };
    app = await startTestApp({
      env: {
        ...baseEnv,
        ...templates,
        SMS_ADAPTER: 'tencent',
        SMS_TENCENT_SECRET_ID: 'AKIDtest',
        SMS_TENCENT_SECRET_KEY: 'tencent-test-secret',
        SMS_TENCENT_SDK_APP_ID: '1400000002',
        SMS_TENCENT_ENDPOINT: gateway.url,
      },
    });
    const mobile = uniqueMobile();
    gateway.answer = tencent.sent(mobile);
    const { agent, csrf, captchaId } = await browser(app);
    const response = await agent.request(`${app.url}/sms/code`, { json: { mobile, purpose: 'lookup', captchaId, captcha: CAPTCHA_ANSWER }, headers: { 'x-csrf-token': csrf } });
    expect(response.status).toBe(200);
    const request = gateway.requests.at(-1)!.body as { TemplateId: string; TemplateParamSet: string[]; PhoneNumberSet: string[] };
    expect(request).toMatchObject({ TemplateId: '2000005', PhoneNumberSet: [`+86${mobile}`] });
    const [code, minutes] = request.TemplateParamSet;
    expect(minutes).toBe('5');
    await expect(app.context.smsCodes.verifyCode({ mobile, purpose: 'lookup', code: code! })).resolves.toBeUndefined();
  });

  test('when the app runs in production, then the development outbox page does not exist (404)', async () => {
    app = await startTestApp({
      clients: [],
      env: {
        NODE_ENV: 'production',
        ISSUER: 'https://id.example.gov.cn',
        TRUST_PROXY: 'true',
        SMS_ADAPTER: 'http',
        SMS_HTTP_URL: 'https://sms.example.gov.cn/send',
        SMS_HTTP_TOKEN: 'gateway-token-0123456789',
        IDENTITY_AUTHORITY: 'reference',
        ENTERPRISE_REGISTRY: 'reference',
      },
    });
    // Production cookies are https-only: the request comes through a TLS-terminating proxy.
    const page = await new UserAgent({ 'x-forwarded-proto': 'https' }).request(`${app.url}/dev/sms-outbox`);
    expect(page.status).toBe(404);
    expect(page.body).not.toContain('短信发件箱');
  });
});
