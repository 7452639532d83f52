/** The real gateway adapters against local fake gateways on 127.0.0.1. */
import { HttpJsonSmsAdapter } from '../../src/notify/http-json.sms-adapter.js';
import { SmsGatewayUnavailable, type SmsMessage } from '../../src/notify/sms.port.js';
import { codeMessage } from '../../src/notify/sms-templates.js';
import { TencentSmsAdapter } from '../../src/notify/tencent.sms-adapter.js';
import { answers, FakeGateway, tc3SignedBy, tencent } from '../support/fake-sms-gateways.js';
import { uniqueMobile } from '../support/test-app.js';

const TIMEOUT_MS = 400;

function message(purpose: 'register' | 'reset' = 'register'): SmsMessage {
  return { mobile: uniqueMobile(), ...codeMessage(purpose, '314159', 300, '科技部政务服务平台') };
}

/** How `send` failed, and how long it took. */
async function failure(send: Promise<void>) {
  const started = Date.now();
  try {
    await send;
  } catch (error) {
    return { error: error as Error, ms: Date.now() - started };
  }
  throw new Error('expected the send to fail, but it succeeded');
}

describe('HTTP JSON gateway adapter', () => {
  const gateway = new FakeGateway();
  const token = 'gateway-token-0123456789abcdef';
  let adapter: HttpJsonSmsAdapter;

  beforeAll(async () => {
    await gateway.listen();
    adapter = new HttpJsonSmsAdapter({ url: `${gateway.url}/v1/sms`, token, timeoutMs: TIMEOUT_MS, templateIds: { code_register: 'SMS_REG_001' } });
  });
  afterAll(() => gateway.close());

  test('when the gateway answers 2xx, then the message counts as sent, posted as JSON with the bearer token and the configured template id', async () => {
    gateway.answer = answers.json(202, { accepted: true });
    const sent = message('register');
    await expect(adapter.send(sent)).resolves.toBeUndefined();
    const request = gateway.requests.at(-1)!;
    expect(request).toMatchObject({ method: 'POST', url: '/v1/sms' });
    expect(request.headers.authorization).toBe(`Bearer ${token}`);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.body).toEqual({ mobile: sent.mobile, template: 'SMS_REG_001', params: { code: '314159', minutes: '5' }, text: sent.text });
  });

  test('when no template id is configured for the template, then our template name is sent', async () => {
    gateway.answer = answers.json(200, {});
    await adapter.send(message('reset'));
    expect((gateway.requests.at(-1)!.body as { template: string }).template).toBe('code_reset');
  });

  test.each([500, 503, 401, 400])('when the gateway answers %i, then SmsGatewayUnavailable is thrown', async (status) => {
    gateway.answer = answers.json(status, { error: 'nope' });
    const { error } = await failure(adapter.send(message()));
    expect(error).toBeInstanceOf(SmsGatewayUnavailable);
    expect(error.message).toContain(`HTTP ${status}`);
  });

  test('when the gateway does not answer, then SmsGatewayUnavailable is thrown once the timeout has passed', async () => {
    gateway.answer = answers.silence();
    const { error, ms } = await failure(adapter.send(message()));
    expect(error).toBeInstanceOf(SmsGatewayUnavailable);
    expect(error.message).toContain(`no answer within ${TIMEOUT_MS} ms`);
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(TIMEOUT_MS + 2000);
  });

  test('when the gateway answers something that is not HTTP, then SmsGatewayUnavailable is thrown', async () => {
    gateway.answer = answers.garbage();
    const { error } = await failure(adapter.send(message()));
    expect(error).toBeInstanceOf(SmsGatewayUnavailable);
  });

  test('when the gateway redirects, then SmsGatewayUnavailable is thrown and the token is not carried to the new address', async () => {
    const before = gateway.requests.length;
    gateway.answer = (_request, res) => void res.writeHead(307, { location: `${gateway.url}/elsewhere` }).end();
    const { error } = await failure(adapter.send(message()));
    expect(error).toBeInstanceOf(SmsGatewayUnavailable);
    expect(gateway.requests.slice(before).map((r) => r.url)).toEqual(['/v1/sms']);
  });

  test('when nothing listens at the gateway address, then SmsGatewayUnavailable is thrown', async () => {
    const closed = await new FakeGateway().listen();
    await closed.close();
    const offline = new HttpJsonSmsAdapter({ url: closed.url, token, timeoutMs: TIMEOUT_MS, templateIds: {} });
    const { error } = await failure(offline.send(message()));
    expect(error).toBeInstanceOf(SmsGatewayUnavailable);
  });
});

describe('Tencent Cloud SMS adapter (official SDK)', () => {
  const api = new FakeGateway();
  const secretKey = 'fake-tencent-secret-key-0123456789';
  const templateIds = { code_register: '1000001', code_reset: '1000002', code_appeal: '1000003', code_change_mobile: '1000004', code_lookup: '1000005', code_authorize: '1000006', notice_password_reset: '1000007', notice_appeal_approved: '1000008', notice_appeal_rejected: '1000009' };
  let adapter: TencentSmsAdapter;

  beforeAll(async () => {
    await api.listen();
    adapter = new TencentSmsAdapter({
      secretId: 'AKIDfakeSecretId',
      secretKey,
      sdkAppId: '1400000001',
      region: 'ap-guangzhou',
      endpoint: api.url,
      signName: '科技部政务服务平台',
      timeoutMs: TIMEOUT_MS,
      templateIds,
    });
  });
  afterAll(() => api.close());

  test('when Tencent accepts the message, then SendSms was called, signed with our key, with the template id, the parameters in order and the +86 number', async () => {
    const sent = message('reset');
    api.answer = tencent.sent(sent.mobile);
    await expect(adapter.send(sent)).resolves.toBeUndefined();
    const request = api.requests.at(-1)!;
    expect(request.method).toBe('POST');
    expect(request.headers['x-tc-action']).toBe('SendSms');
    expect(request.headers['x-tc-version']).toBe('2021-01-11');
    expect(request.headers['x-tc-region']).toBe('ap-guangzhou');
    expect(tc3SignedBy(request, secretKey)).toBe('AKIDfakeSecretId');
    expect(tc3SignedBy(request, 'another-key')).toBeUndefined();
    expect(request.body).toEqual({
      SmsSdkAppId: '1400000001',
      SignName: '科技部政务服务平台',
      TemplateId: '1000002',
      TemplateParamSet: ['314159', '5'],
      PhoneNumberSet: [`+86${sent.mobile}`],
    });
  });

  test('when Tencent refuses the number (a 200 with a failed send status), then SmsGatewayUnavailable names the status code', async () => {
    const sent = message();
    api.answer = tencent.refused(sent.mobile, 'LimitExceeded.PhoneNumberDailyLimit');
    const { error } = await failure(adapter.send(sent));
    expect(error).toBeInstanceOf(SmsGatewayUnavailable);
    expect(error.message).toContain('LimitExceeded.PhoneNumberDailyLimit');
  });

  test('when Tencent answers with an API error, then SmsGatewayUnavailable names the error code', async () => {
    api.answer = tencent.error('AuthFailure.SignatureFailure');
    const { error } = await failure(adapter.send(message()));
    expect(error).toBeInstanceOf(SmsGatewayUnavailable);
    expect(error.message).toContain('AuthFailure.SignatureFailure');
  });

  test('when Tencent answers 500, then SmsGatewayUnavailable is thrown', async () => {
    api.answer = answers.json(500, { message: 'internal error' });
    const { error } = await failure(adapter.send(message()));
    expect(error).toBeInstanceOf(SmsGatewayUnavailable);
    expect(error.message).toContain('HTTP 500');
  });

  test('when Tencent does not answer, then SmsGatewayUnavailable is thrown once the timeout has passed', async () => {
    api.answer = answers.silence();
    const { error, ms } = await failure(adapter.send(message()));
    expect(error).toBeInstanceOf(SmsGatewayUnavailable);
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(TIMEOUT_MS + 2000);
  });

  test.each([
    ['a body that is not JSON', answers.notJson()],
    ['JSON without a Response', answers.json(200, { unexpected: true })],
    ['a Response without send statuses', answers.json(200, { Response: { RequestId: 'r' } })],
    ['bytes that are not HTTP', answers.garbage()],
  ])('when Tencent answers %s, then SmsGatewayUnavailable is thrown', async (_name, answer) => {
    api.answer = answer;
    const { error } = await failure(adapter.send(message()));
    expect(error).toBeInstanceOf(SmsGatewayUnavailable);
  });
});
