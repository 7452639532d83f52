import { loadSettings } from '../../src/settings.js';
import { TEST_PII_KEY } from '../support/test-app.js';
import { settingsError } from '../support/settings.js';

// Everything else production requires is set, so each test meets only the SMS rule it is about.
const production = { NODE_ENV: 'production', ISSUER: 'https://id.example.gov.cn', PII_KEY: TEST_PII_KEY, IDENTITY_AUTHORITY: 'reference', ENTERPRISE_REGISTRY: 'reference' };
const http = { SMS_ADAPTER: 'http', SMS_HTTP_URL: 'https://sms.example.gov.cn/send', SMS_HTTP_TOKEN: 'sms-gateway-token-0123456789' };
const tencent = {
  SMS_ADAPTER: 'tencent',
  SMS_TENCENT_SECRET_ID: 'AKIDexample',
  SMS_TENCENT_SECRET_KEY: 'tencent-secret-key-value',
  SMS_TENCENT_SDK_APP_ID: '1400000001',
  SMS_TEMPLATE_REGISTER: '1000001',
  SMS_TEMPLATE_RESET: '1000002',
  SMS_TEMPLATE_APPEAL: '1000003',
  SMS_TEMPLATE_CHANGE_MOBILE: '1000004',
  SMS_TEMPLATE_LOOKUP: '1000005',
  SMS_TEMPLATE_AUTHORIZE: '1000006',
  SMS_TEMPLATE_NOTICE_PASSWORD_RESET: '1000007',
  SMS_TEMPLATE_NOTICE_APPEAL_APPROVED: '1000008',
  SMS_TEMPLATE_NOTICE_APPEAL_REJECTED: '1000009',
};

describe('SMS settings', () => {
  test('when nothing is set outside production, then the development outbox is used with the SPEC limits (5 min, 60 s, 5 tries, 10 and 50 a day)', () => {
    const { sms } = loadSettings({});
    expect(sms.gateway).toEqual({ kind: 'outbox' });
    expect(sms.codes).toEqual({ ttlSeconds: 300, resendAfterSeconds: 60, maxAttempts: 5, dailyPerMobile: 10, dailyPerAddress: 50 });
    expect(sms.signName).toBe('科技部政务服务平台');
  });

  test('when SMS_ADAPTER=outbox in production, then start-up stops naming SMS_ADAPTER', () => {
    expect(settingsError({ ...production, SMS_ADAPTER: 'outbox' }).message).toMatch(/^SMS_ADAPTER: outbox .*production/);
  });

  test('when no SMS_ADAPTER is set in production, then start-up stops asking for one', () => {
    expect(settingsError(production).message).toBe('SMS_ADAPTER: required when NODE_ENV=production: http or tencent');
  });

  test('when SMS_ADAPTER=http lacks its URL or token, then start-up stops naming the missing one', () => {
    expect(settingsError({ ...http, SMS_HTTP_URL: '' }).message).toBe('SMS_HTTP_URL: required when SMS_ADAPTER=http');
    expect(settingsError({ ...http, SMS_HTTP_TOKEN: '' }).message).toBe('SMS_HTTP_TOKEN: required when SMS_ADAPTER=http');
  });

  test('when the http gateway URL is plain http in production, then start-up stops naming SMS_HTTP_URL', () => {
    expect(settingsError({ ...production, ...http, SMS_HTTP_URL: 'http://sms.example.gov.cn/send' }).message).toMatch(/^SMS_HTTP_URL: .*https/);
    expect(loadSettings({ ...production, ...http }).sms.gateway).toMatchObject({ kind: 'http', url: 'https://sms.example.gov.cn/send' });
  });

  test('when the http gateway token is too short, then the error names SMS_HTTP_TOKEN without echoing it', () => {
    const error = settingsError({ ...http, SMS_HTTP_TOKEN: 'short-secret' });
    expect(error.message).toMatch(/^SMS_HTTP_TOKEN: /);
    expect(error.message).not.toContain('short-secret');
  });

  test('when SMS_ADAPTER=tencent is fully set, then the gateway has its credentials, app id and a template id per purpose', () => {
    const { gateway } = loadSettings({ ...production, ...tencent }).sms;
    expect(gateway).toMatchObject({
      kind: 'tencent',
      sdkAppId: '1400000001',
      region: 'ap-guangzhou',
      endpoint: 'https://sms.tencentcloudapi.com',
      templateIds: { code_register: '1000001', code_reset: '1000002', code_appeal: '1000003', code_change_mobile: '1000004', code_lookup: '1000005', code_authorize: '1000006' },
    });
  });

  test.each(['SMS_TENCENT_SECRET_ID', 'SMS_TENCENT_SECRET_KEY', 'SMS_TENCENT_SDK_APP_ID', 'SMS_TEMPLATE_CHANGE_MOBILE', 'SMS_TEMPLATE_AUTHORIZE'])(
    'when SMS_ADAPTER=tencent lacks %s, then start-up stops naming it',
    (name) => {
      expect(settingsError({ ...tencent, [name]: '' }).message).toBe(`${name}: required when SMS_ADAPTER=tencent`);
    },
  );

  test.each([
    ['SMS_ADAPTER', 'aliyun'],
    ['SMS_TIMEOUT_MS', '10'],
    ['SMS_CODE_TTL', '0'],
    ['SMS_MAX_ATTEMPTS', '0'],
    ['SMS_DAILY_PER_MOBILE', 'many'],
    ['SMS_TENCENT_SDK_APP_ID', 'app-1'],
  ])('when %s is %s, then the error names that variable', (name, value) => {
    expect(settingsError({ ...(name === 'SMS_TENCENT_SDK_APP_ID' ? tencent : {}), [name]: value }).message).toMatch(new RegExp(`^${name}: `));
  });

  test('when the limits are set, then they are used', () => {
    const { codes } = loadSettings({ SMS_CODE_TTL: '600', SMS_RESEND_AFTER: '90', SMS_MAX_ATTEMPTS: '3', SMS_DAILY_PER_MOBILE: '5', SMS_DAILY_PER_ADDRESS: '20' }).sms;
    expect(codes).toEqual({ ttlSeconds: 600, resendAfterSeconds: 90, maxAttempts: 3, dailyPerMobile: 5, dailyPerAddress: 20 });
  });
});
