import path from 'node:path';
import { createDatabase } from '../../src/db/database.js';
import { loadSettings } from '../../src/settings.js';
import { HttpIdentityAuthority } from '../../src/verification/http.identity-authority.js';
import { ReferenceRegisterIdentityAuthority } from '../../src/verification/reference-register.identity-authority.js';
import { TEST_PII_KEY, testDatabaseUrl } from '../support/test-app.js';
import { servicesOver } from '../support/own-database.js';
import { settingsError } from '../support/settings.js';

// Everything else production requires is set, so each test meets only the authority rule it is about.
const production = {
  NODE_ENV: 'production',
  ISSUER: 'https://id.example.gov.cn',
  PII_KEY: TEST_PII_KEY,
  ENTERPRISE_REGISTRY: 'reference',
  SMS_ADAPTER: 'http',
  SMS_HTTP_URL: 'https://sms.example.gov.cn/send',
  SMS_HTTP_TOKEN: 'sms-gateway-token-0123456789',
};
const http = { IDENTITY_AUTHORITY: 'http', IDENTITY_AUTHORITY_URL: 'https://authority.example.gov.cn/v1/person-check', IDENTITY_AUTHORITY_TOKEN: 'secret-token-7f3a' };

describe('identity-authority settings', () => {
  test('when nothing is set outside production, then the reference register from config/reference-register.json answers', () => {
    expect(loadSettings({}).identityAuthority).toEqual({
      kind: 'reference',
      registerFile: path.resolve(import.meta.dirname, '../../config/reference-register.json'),
    });
  });

  test('when IDENTITY_AUTHORITY is not set in production, then start-up stops naming it', () => {
    expect(settingsError(production).message).toMatch(/^IDENTITY_AUTHORITY: required when NODE_ENV=production/);
  });

  test('when production chooses either authority explicitly, then it starts', () => {
    expect(loadSettings({ ...production, IDENTITY_AUTHORITY: 'reference' }).identityAuthority.kind).toBe('reference');
    expect(loadSettings({ ...production, ...http }).identityAuthority).toEqual({
      kind: 'http',
      url: http.IDENTITY_AUTHORITY_URL,
      token: http.IDENTITY_AUTHORITY_TOKEN,
      timeoutMs: 5000,
    });
  });

  test('when the http authority lacks its URL or token, then start-up stops naming the missing one', () => {
    expect(settingsError({ ...http, IDENTITY_AUTHORITY_URL: '' }).message).toMatch(/^IDENTITY_AUTHORITY_URL: required/);
    expect(settingsError({ ...http, IDENTITY_AUTHORITY_TOKEN: '' }).message).toMatch(/^IDENTITY_AUTHORITY_TOKEN: required/);
  });

  test('when the http authority URL is plain http in production, then start-up stops; outside production it is allowed', () => {
    const plain = { ...http, IDENTITY_AUTHORITY_URL: 'http://authority.example.gov.cn/check' };
    expect(settingsError({ ...production, ...plain }).message).toMatch(/^IDENTITY_AUTHORITY_URL: must be an https:\/\//);
    expect(loadSettings(plain).identityAuthority.kind).toBe('http');
  });

  test('when the URL is not a URL, then the error names it without echoing it (it may carry credentials)', () => {
    const message = settingsError({ ...http, IDENTITY_AUTHORITY_URL: 'ftp://user:hunter2@authority' }).message;
    expect(message).toMatch(/^IDENTITY_AUTHORITY_URL: /);
    expect(message).not.toContain('hunter2');
  });

  test.each(['abc', '50', '60001'])('when IDENTITY_AUTHORITY_TIMEOUT_MS is %s, then start-up stops naming it', (value) => {
    expect(settingsError({ ...http, IDENTITY_AUTHORITY_TIMEOUT_MS: value }).message).toMatch(/^IDENTITY_AUTHORITY_TIMEOUT_MS: /);
  });

  test('when IDENTITY_AUTHORITY is neither reference nor http, or the register file is missing, then start-up stops naming it', () => {
    expect(settingsError({ IDENTITY_AUTHORITY: 'ldap' }).message).toMatch(/^IDENTITY_AUTHORITY: must be reference or http/);
    expect(settingsError({ REFERENCE_REGISTER_FILE: 'config/no-such-register.json' }).message).toMatch(/^REFERENCE_REGISTER_FILE: no such file/);
  });

  test('when the services are built, then the settings choose the adapter: http with its timeout, or the reference register', async () => {
    const database = await createDatabase({ kind: 'postgres', url: testDatabaseUrl() });
    try {
      const build = (env: Record<string, string>) => servicesOver(database.db, env);
      expect(build({ ...http, IDENTITY_AUTHORITY_TIMEOUT_MS: '1234' }).identityAuthority).toBeInstanceOf(HttpIdentityAuthority);
      expect(build({}).identityAuthority).toBeInstanceOf(ReferenceRegisterIdentityAuthority);
    } finally {
      await database.close();
    }
  });
});
