import { loadSettings } from '../../src/settings.js';
import { TEST_PII_KEY } from '../support/test-app.js';
import { settingsError } from '../support/settings.js';

/** The SettingsError that `env` causes. */
const production = {
  NODE_ENV: 'production',
  ISSUER: 'https://id.example.gov.cn',
  PII_KEY: TEST_PII_KEY,
  IDENTITY_AUTHORITY: 'reference',
  ENTERPRISE_REGISTRY: 'reference',
  // Production needs a real SMS gateway (see sms-settings.test.ts).
  SMS_ADAPTER: 'http',
  SMS_HTTP_URL: 'https://sms.example.gov.cn/send',
  SMS_HTTP_TOKEN: 'sms-gateway-token-0123456789',
};

describe('settings from the environment', () => {
  test('when nothing is set, then the defaults are the embedded database, port 3000, a localhost issuer and an 8-hour session', () => {
    const settings = loadSettings({});
    expect(settings.port).toBe(3000);
    expect(settings.issuer).toBe('http://localhost:3000');
    expect(settings.database.kind).toBe('embedded');
    expect(settings.production).toBe(false);
    expect(settings.ttl.session).toBe(8 * 3600);
    expect(settings.ttl.session).toBeLessThan(14 * 24 * 3600);
    expect(settings.loginProtection).toMatchObject({ captchaAfter: 3, lockAfter: 5, lockSeconds: 15 * 60 });
  });

  test('when PORT is set and ISSUER is not, then the issuer follows the port; a trailing slash on ISSUER is dropped', () => {
    expect(loadSettings({ PORT: '8080' }).issuer).toBe('http://localhost:8080');
    expect(loadSettings({ ISSUER: 'https://id.example.gov.cn/' }).issuer).toBe('https://id.example.gov.cn');
  });

  test('when DATABASE_URL is a postgres URL, then PostgreSQL is used', () => {
    expect(loadSettings({ DATABASE_URL: 'postgres://u@127.0.0.1:5432/idp' }).database).toEqual({ kind: 'postgres', url: 'postgres://u@127.0.0.1:5432/idp' });
  });

  test('when a variable is set to the empty string, then it counts as unset', () => {
    expect(loadSettings({ PORT: '', DATABASE_URL: '' }).port).toBe(3000);
  });

  test.each(['abc', '70000', '-1', '3.5'])('when PORT is %s, then start-up stops with a SettingsError naming PORT', (port) => {
    const error = settingsError({ PORT: port });
    expect(error.message).toMatch(/^PORT: /);
    expect(error.message).toContain(port);
  });

  test('when DATABASE_URL is not a postgres URL, then the error names DATABASE_URL without echoing its value (it may hold a password)', () => {
    const error = settingsError({ DATABASE_URL: 'mysql://admin:hunter2@db/idp' });
    expect(error.message).toMatch(/^DATABASE_URL: /);
    expect(error.message).not.toContain('hunter2');
  });

  test('when CAPTCHA_TEST_ANSWER is set in production, then start-up stops naming CAPTCHA_TEST_ANSWER', () => {
    expect(() => loadSettings(production)).not.toThrow();
    const error = settingsError({ ...production, CAPTCHA_TEST_ANSWER: 'test1' });
    expect(error.message).toMatch(/^CAPTCHA_TEST_ANSWER: /);
  });

  test('when CAPTCHA_TEST_ANSWER is set outside production, then it is accepted', () => {
    expect(loadSettings({ NODE_ENV: 'test', CAPTCHA_TEST_ANSWER: 'test1' }).captchaTestAnswer).toBe('test1');
  });

  test('when ISSUER is http in production, then start-up stops naming ISSUER', () => {
    expect(settingsError({ ...production, ISSUER: 'http://id.example.gov.cn' }).message).toMatch(/^ISSUER: .*https/);
    // The default issuer is http://localhost, so production needs ISSUER set.
    const { ISSUER: _omitted, ...withoutIssuer } = production;
    expect(settingsError(withoutIssuer).message).toMatch(/^ISSUER: /);
  });

  test('when PII_KEY is missing in production, then start-up stops naming PII_KEY', () => {
    const { PII_KEY: _omitted, ...withoutKey } = production;
    expect(settingsError(withoutKey).message).toMatch(/^PII_KEY: /);
  });

  test.each([
    ['NODE_ENV', 'staging'],
    ['ISSUER', 'not a url'],
    ['LOG_LEVEL', 'loud'],
    ['TRUST_PROXY', 'maybe'],
    ['SESSION_TTL', '0'],
    ['LOGIN_LOCK_AFTER', '0'],
    ['CLIENTS_FILE', 'config/no-such-clients.json'],
  ])('when %s is %s, then the error names that variable', (name, value) => {
    expect(settingsError({ [name]: value }).message).toMatch(new RegExp(`^${name}: `));
  });
});
