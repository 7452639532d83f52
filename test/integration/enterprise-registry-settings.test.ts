import path from 'node:path';
import { createDatabase } from '../../src/db/database.js';
import { loadSettings } from '../../src/settings.js';
import { HttpEnterpriseRegistry } from '../../src/verification/http.enterprise-registry.js';
import { ReferenceRegisterEnterpriseRegistry } from '../../src/verification/reference-register.enterprise-registry.js';
import { TEST_PII_KEY, testDatabaseUrl } from '../support/test-app.js';
import { servicesOver } from '../support/own-database.js';
import { settingsError } from '../support/settings.js';

// Everything else production requires is set, so each test meets only the registry rule it is about.
const production = {
  NODE_ENV: 'production',
  ISSUER: 'https://id.example.gov.cn',
  PII_KEY: TEST_PII_KEY,
  IDENTITY_AUTHORITY: 'reference',
  SMS_ADAPTER: 'http',
  SMS_HTTP_URL: 'https://sms.example.gov.cn/send',
  SMS_HTTP_TOKEN: 'sms-gateway-token-0123456789',
};
const http = { ENTERPRISE_REGISTRY: 'http', ENTERPRISE_REGISTRY_URL: 'https://registry.example.gov.cn/v1/entity-check', ENTERPRISE_REGISTRY_TOKEN: 'registry-token-9c1e' };

describe('enterprise-registry settings', () => {
  test('when nothing is set outside production, then the reference register from config/enterprise-register.json answers', () => {
    expect(loadSettings({}).enterpriseRegistry).toEqual({
      kind: 'reference',
      registerFile: path.resolve(import.meta.dirname, '../../config/enterprise-register.json'),
    });
  });

  test('when ENTERPRISE_REGISTRY is not set in production, then start-up stops naming it', () => {
    expect(settingsError(production).message).toMatch(/^ENTERPRISE_REGISTRY: required when NODE_ENV=production/);
  });

  test('when production chooses either registry explicitly, then it starts', () => {
    expect(loadSettings({ ...production, ENTERPRISE_REGISTRY: 'reference' }).enterpriseRegistry.kind).toBe('reference');
    expect(loadSettings({ ...production, ...http }).enterpriseRegistry).toEqual({
      kind: 'http',
      url: http.ENTERPRISE_REGISTRY_URL,
      token: http.ENTERPRISE_REGISTRY_TOKEN,
      timeoutMs: 5000,
    });
  });

  test('when the http registry lacks its URL or token, then start-up stops naming the missing one', () => {
    expect(settingsError({ ...http, ENTERPRISE_REGISTRY_URL: '' }).message).toMatch(/^ENTERPRISE_REGISTRY_URL: required/);
    expect(settingsError({ ...http, ENTERPRISE_REGISTRY_TOKEN: '' }).message).toMatch(/^ENTERPRISE_REGISTRY_TOKEN: required/);
  });

  test('when the http registry URL is plain http in production, then start-up stops; outside production it is allowed', () => {
    const plain = { ...http, ENTERPRISE_REGISTRY_URL: 'http://registry.example.gov.cn/check' };
    expect(settingsError({ ...production, ...plain }).message).toMatch(/^ENTERPRISE_REGISTRY_URL: must be an https:\/\//);
    expect(loadSettings(plain).enterpriseRegistry.kind).toBe('http');
  });

  test('when the URL or token is bad, then the error names it without echoing the value (it may carry credentials)', () => {
    const message = settingsError({ ...http, ENTERPRISE_REGISTRY_URL: 'ftp://user:hunter2@registry' }).message;
    expect(message).toMatch(/^ENTERPRISE_REGISTRY_URL: /);
    expect(message).not.toContain('hunter2');
  });

  test.each(['abc', '99', '60001', '1.5'])('when ENTERPRISE_REGISTRY_TIMEOUT_MS is %s, then start-up stops naming it', (value) => {
    expect(settingsError({ ...http, ENTERPRISE_REGISTRY_TIMEOUT_MS: value }).message).toMatch(/^ENTERPRISE_REGISTRY_TIMEOUT_MS: /);
  });

  test('when ENTERPRISE_REGISTRY is neither reference nor http, or the register file is missing, then start-up stops naming it', () => {
    expect(settingsError({ ENTERPRISE_REGISTRY: 'soap' }).message).toMatch(/^ENTERPRISE_REGISTRY: must be reference or http/);
    expect(settingsError({ ENTERPRISE_REGISTER_FILE: 'config/no-such-register.json' }).message).toMatch(/^ENTERPRISE_REGISTER_FILE: no such file/);
  });

  test('when the http registry is chosen, then the register file is not needed', () => {
    expect(loadSettings({ ...http, ENTERPRISE_REGISTER_FILE: 'config/no-such-register.json' }).enterpriseRegistry.kind).toBe('http');
  });

  test('when the services are built, then the settings choose the adapter: http with its URL, token and timeout, or the reference register', async () => {
    const database = await createDatabase({ kind: 'postgres', url: testDatabaseUrl() });
    try {
      const build = (env: Record<string, string>) => servicesOver(database.db, env);
      const chosen = build({ ...http, ENTERPRISE_REGISTRY_TIMEOUT_MS: '1234' }).enterpriseRegistry;
      expect(chosen).toBeInstanceOf(HttpEnterpriseRegistry);
      expect((chosen as unknown as { options: unknown }).options).toMatchObject({ url: http.ENTERPRISE_REGISTRY_URL, token: http.ENTERPRISE_REGISTRY_TOKEN, timeoutMs: 1234 });
      expect(build({}).enterpriseRegistry).toBeInstanceOf(ReferenceRegisterEnterpriseRegistry);
    } finally {
      await database.close();
    }
  });
});
