import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EnterpriseRegistryUnavailable, type EntityQuery } from '../../src/verification/enterprise-registry.js';
import { HttpEnterpriseRegistry } from '../../src/verification/http.enterprise-registry.js';
import { createLegalAccount, uniqueUscc } from '../support/accounts.js';
import { json } from '../support/fake-check-server.js';
import { FakeEnterpriseRegistry } from '../support/fake-enterprise-registry.js';
import { uniqueName, uniqueResidentId } from '../support/identities.js';
import { startTestApp, uniqueMobile, type TestApp } from '../support/test-app.js';

/** The rejection's reason, or a failure when the adapter gave a verdict instead. */
async function unavailableReason(attempt: Promise<unknown>): Promise<string> {
  const error = await attempt.then(
    (verdict) => new Error(`gave the verdict ${String(verdict)}`),
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(EnterpriseRegistryUnavailable);
  return (error as EnterpriseRegistryUnavailable).reason;
}

const unit = (): EntityQuery => ({ uscc: uniqueUscc(), orgName: `${uniqueName()}科技有限公司`, legalRepresentativeName: uniqueName() });

describe('the HTTP enterprise-registry adapter against a local fake registry', () => {
  const fake = new FakeEnterpriseRegistry();
  let registry: HttpEnterpriseRegistry;

  beforeAll(async () => {
    await fake.listen();
    registry = new HttpEnterpriseRegistry({ url: fake.url, token: fake.token, timeoutMs: 2000 });
  });
  afterAll(() => fake.close());

  test('when the registry knows the unit with this name and representative, then the verdict is match, asked by the documented contract', async () => {
    const query = unit();
    fake.addUnit(query.uscc, query.orgName, query.legalRepresentativeName);

    expect(await registry.checkEntity(query)).toBe('match');

    const [request] = fake.requestsFor(query.uscc);
    expect(request).toMatchObject({ method: 'POST', path: '/v1/entity-check' });
    expect(request!.headers['content-type']).toMatch(/^application\/json/);
    expect(request!.headers.accept).toBe('application/json');
    expect(request!.headers.authorization).toBe(`Bearer ${fake.token}`);
    expect(request!.body).toEqual({ uscc: query.uscc, org_name: query.orgName, legal_representative: query.legalRepresentativeName });
  });

  test('when the registry has the USCC with another representative, then the verdict is mismatch', async () => {
    const query = unit();
    fake.addUnit(query.uscc, query.orgName, `${query.legalRepresentativeName}华`);
    expect(await registry.checkEntity(query)).toBe('mismatch');
  });

  test('when the registry does not know the USCC, then the verdict is mismatch', async () => {
    expect(await registry.checkEntity(unit())).toBe('mismatch');
  });

  test('when the registry does not answer within the timeout setting, then it is unavailable (timeout) soon after the timeout', async () => {
    const query = unit();
    fake.script(query.uscc, () => undefined);
    const impatient = new HttpEnterpriseRegistry({ url: fake.url, token: fake.token, timeoutMs: 300 });
    const started = Date.now();
    expect(await unavailableReason(impatient.checkEntity(query))).toBe('timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  test('when the registry sends its headers and then stalls in the body, then the timeout still applies', async () => {
    const query = unit();
    fake.script(query.uscc, (_request, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"result":');
    });
    const impatient = new HttpEnterpriseRegistry({ url: fake.url, token: fake.token, timeoutMs: 300 });
    expect(await unavailableReason(impatient.checkEntity(query))).toBe('timeout');
  });

  test.each([500, 502, 503, 404])('when the registry answers HTTP %i, then it is unavailable (status), even with a verdict in the body', async (status) => {
    const query = unit();
    fake.script(query.uscc, (_request, res) => json(res, status, { result: 'mismatch' }));
    expect(await unavailableReason(registry.checkEntity(query))).toBe('status');
  });

  test('when our token is refused (401), then it is unavailable (status), never a mismatch', async () => {
    const query = unit();
    fake.addUnit(query.uscc, query.orgName, query.legalRepresentativeName);
    const wrongToken = new HttpEnterpriseRegistry({ url: fake.url, token: 'not-the-token', timeoutMs: 2000 });
    expect(await unavailableReason(wrongToken.checkEntity(query))).toBe('status');
  });

  test('when the registry answers malformed JSON, then it is unavailable (malformed)', async () => {
    const query = unit();
    fake.script(query.uscc, (_request, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"result": "match"');
    });
    expect(await unavailableReason(registry.checkEntity(query))).toBe('malformed');
  });

  test.each([
    ['an HTML page', 'text/html; charset=utf-8', '<html><body>match</body></html>'],
    ['a verdict as plain text', 'text/plain', '{"result":"match"}'],
    ['no content type', '', '{"result":"match"}'],
    ['an unknown result', 'application/json', '{"result":"maybe"}'],
    ['a differently cased result', 'application/json', '{"result":"Match"}'],
    ['another field name', 'application/json', '{"verdict":"match"}'],
    ['an array', 'application/json', '[{"result":"match"}]'],
    ['null', 'application/json', 'null'],
    ['an empty body', 'application/json', ''],
  ])('when the registry answers 200 with %s, then it is unavailable (malformed)', async (_what, contentType, body) => {
    const query = unit();
    fake.script(query.uscc, (_request, res) => {
      res.writeHead(200, contentType ? { 'content-type': contentType } : {});
      res.end(body);
    });
    expect(await unavailableReason(registry.checkEntity(query))).toBe('malformed');
  });

  test('when the registry answers with a +json content type and extra fields, then the verdict is read', async () => {
    const query = unit();
    fake.script(query.uscc, (_request, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.registry+json; charset=utf-8' });
      res.end(JSON.stringify({ result: 'mismatch', checked_at: '2026-11-29T08:00:00Z' }));
    });
    expect(await registry.checkEntity(query)).toBe('mismatch');
  });

  test('when the registry redirects, then the redirect is not followed and the registry is unavailable', async () => {
    const elsewhere = http.createServer((_req, res) => json(res, 200, { result: 'match' }));
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    let reached = false;
    elsewhere.on('request', () => (reached = true));
    try {
      const query = unit();
      fake.script(query.uscc, (_request, res) => {
        res.writeHead(302, { location: `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/` });
        res.end();
      });
      expect(await unavailableReason(registry.checkEntity(query))).toBe('network');
      expect(reached).toBe(false);
    } finally {
      await new Promise<void>((resolve) => elsewhere.close(() => resolve()));
    }
  });

  test('when nothing listens at the URL, then the registry is unavailable (network)', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const nowhere = new HttpEnterpriseRegistry({ url: `http://127.0.0.1:${port}/check`, token: 't', timeoutMs: 2000 });
    expect(await unavailableReason(nowhere.checkEntity(unit()))).toBe('network');
  });
});

describe('automatic legal-entity verification through ENTERPRISE_REGISTRY=http', () => {
  const fake = new FakeEnterpriseRegistry();
  let app: TestApp;
  const actor = { type: 'cli' as const };

  beforeAll(async () => {
    await fake.listen();
    app = await startTestApp({
      env: { ENTERPRISE_REGISTRY: 'http', ENTERPRISE_REGISTRY_URL: fake.url, ENTERPRISE_REGISTRY_TOKEN: fake.token, ENTERPRISE_REGISTRY_TIMEOUT_MS: '500' },
    });
  });
  afterAll(async () => {
    await app?.close();
    await fake.close();
  });

  const representative = (name = uniqueName()) => ({
    name, mobile: uniqueMobile(), identityType: 'mainland', documentType: 'resident_id', documentNumber: uniqueResidentId(), documentLongTerm: 'on',
  });

  test('when the registry confirms the unit, then the account is verified and the USCC claimed', async () => {
    const query = unit();
    fake.addUnit(query.uscc, query.orgName, query.legalRepresentativeName);
    const { account } = await createLegalAccount(app, { uscc: query.uscc, orgName: query.orgName, legalRepresentative: representative(query.legalRepresentativeName) });
    expect(await app.context.entityVerification.verifyLegalAccount(account.id, actor)).toEqual({ outcome: 'verified' });
    expect((await app.context.accounts.findById(account.id))!.realNameStatus).toBe('verified');
    expect(await app.context.db('entity_claims').where({ uscc: query.uscc }).first()).toMatchObject({ account_id: account.id, method: 'automatic' });
  });

  test('when the registry is down, then the outcome is unavailable, the status unchanged, and the reason audited', async () => {
    const query = unit();
    fake.script(query.uscc, (_request, res) => json(res, 503, { error: 'maintenance' }));
    const { account } = await createLegalAccount(app, { uscc: query.uscc, orgName: query.orgName, legalRepresentative: representative(query.legalRepresentativeName) });
    expect(await app.context.entityVerification.verifyLegalAccount(account.id, actor)).toEqual({ outcome: 'unavailable' });
    expect((await app.context.accounts.findById(account.id))!.realNameStatus).toBe('unverified');
    const audit = await app.context.db('audit_events').where({ event: 'verification.automatic', subject_id: account.id }).first();
    expect(audit).toMatchObject({ outcome: 'failure', details: { kind: 'legal', result: 'unavailable', reason: 'status', uscc: query.uscc } });
  });

  test('when the registry is slower than ENTERPRISE_REGISTRY_TIMEOUT_MS, then the outcome is unavailable (timeout)', async () => {
    const query = unit();
    fake.script(query.uscc, () => undefined);
    const { account } = await createLegalAccount(app, { uscc: query.uscc, orgName: query.orgName, legalRepresentative: representative(query.legalRepresentativeName) });
    expect(await app.context.entityVerification.verifyLegalAccount(account.id, actor)).toEqual({ outcome: 'unavailable' });
    const audit = await app.context.db('audit_events').where({ event: 'verification.automatic', subject_id: account.id }).first();
    expect(audit.details.reason).toBe('timeout');
  });
});
