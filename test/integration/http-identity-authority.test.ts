import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpIdentityAuthority } from '../../src/verification/http.identity-authority.js';
import { IdentityAuthorityUnavailable, type IdentityQuery } from '../../src/verification/identity-authority.js';
import { json } from '../support/fake-check-server.js';
import { FakeIdentityAuthority } from '../support/fake-identity-authority.js';
import { uniqueName, uniqueResidentId } from '../support/identities.js';

/** The rejection's reason, or a failure when the adapter gave a verdict instead. */
async function unavailableReason(attempt: Promise<unknown>): Promise<string> {
  const error = await attempt.then(
    (verdict) => new Error(`gave the verdict ${String(verdict)}`),
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(IdentityAuthorityUnavailable);
  return (error as IdentityAuthorityUnavailable).reason;
}

describe('the HTTP identity-authority adapter against a local fake authority', () => {
  const fake = new FakeIdentityAuthority();
  let authority: HttpIdentityAuthority;

  beforeAll(async () => {
    await fake.listen();
    authority = new HttpIdentityAuthority({ url: fake.url, token: fake.token, timeoutMs: 2000 });
  });
  afterAll(() => fake.close());

  const person = (): IdentityQuery => ({ name: uniqueName(), documentType: 'resident_id', documentNumber: uniqueResidentId() });

  test('when the authority knows the name with the document, then the verdict is match, asked by the documented contract', async () => {
    const query = person();
    fake.addPerson(query.name, query.documentType, query.documentNumber);

    expect(await authority.checkPerson(query)).toBe('match');

    const [request] = fake.requestsFor(query.documentNumber);
    expect(request).toMatchObject({ method: 'POST', path: '/v1/person-check' });
    expect(request!.headers['content-type']).toMatch(/^application\/json/);
    expect(request!.headers.authorization).toBe(`Bearer ${fake.token}`);
    expect(request!.body).toEqual({ name: query.name, document_type: 'resident_id', document_number: query.documentNumber });
  });

  test('when the authority has the document under another name, then the verdict is mismatch', async () => {
    const query = person();
    fake.addPerson(`${query.name}华`, query.documentType, query.documentNumber);
    expect(await authority.checkPerson(query)).toBe('mismatch');
  });

  test('when the authority does not know the document, then the verdict is mismatch', async () => {
    expect(await authority.checkPerson(person())).toBe('mismatch');
  });

  test('when the authority does not answer within the timeout setting, then it is unavailable (timeout) soon after the timeout', async () => {
    const query = person();
    fake.script(query.documentNumber, () => undefined);
    const impatient = new HttpIdentityAuthority({ url: fake.url, token: fake.token, timeoutMs: 300 });
    const started = Date.now();
    expect(await unavailableReason(impatient.checkPerson(query))).toBe('timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  test('when the authority sends its headers and then stalls in the body, then the timeout still applies', async () => {
    const query = person();
    fake.script(query.documentNumber, (_request, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"result":');
    });
    const impatient = new HttpIdentityAuthority({ url: fake.url, token: fake.token, timeoutMs: 300 });
    expect(await unavailableReason(impatient.checkPerson(query))).toBe('timeout');
  });

  test.each([500, 502, 503, 404])('when the authority answers HTTP %i, then it is unavailable (status), even with a verdict in the body', async (status) => {
    const query = person();
    fake.script(query.documentNumber, (_request, res) => json(res, status, { result: 'mismatch' }));
    expect(await unavailableReason(authority.checkPerson(query))).toBe('status');
  });

  test('when our token is refused (401), then it is unavailable (status), never a mismatch', async () => {
    const query = person();
    fake.addPerson(query.name, query.documentType, query.documentNumber);
    const wrongToken = new HttpIdentityAuthority({ url: fake.url, token: 'not-the-token', timeoutMs: 2000 });
    expect(await unavailableReason(wrongToken.checkPerson(query))).toBe('status');
  });

  test('when the authority answers malformed JSON, then it is unavailable (malformed)', async () => {
    const query = person();
    fake.script(query.documentNumber, (_request, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"result": "match"');
    });
    expect(await unavailableReason(authority.checkPerson(query))).toBe('malformed');
  });

  test.each([
    ['an HTML page', 'text/html; charset=utf-8', '<html><body>match</body></html>'],
    ['a verdict as plain text', 'text/plain', '{"result":"match"}'],
    ['no content type', '', '{"result":"match"}'],
    ['an unknown result', 'application/json', '{"result":"maybe"}'],
    ['a differently cased result', 'application/json', '{"result":"MATCH"}'],
    ['a boolean result', 'application/json', '{"result":true}'],
    ['another field name', 'application/json', '{"verdict":"match"}'],
    ['a bare string', 'application/json', '"match"'],
    ['null', 'application/json', 'null'],
    ['an empty body', 'application/json', ''],
  ])('when the authority answers 200 with %s, then it is unavailable (malformed)', async (_what, contentType, body) => {
    const query = person();
    fake.script(query.documentNumber, (_request, res) => {
      res.writeHead(200, contentType ? { 'content-type': contentType } : {});
      res.end(body);
    });
    expect(await unavailableReason(authority.checkPerson(query))).toBe('malformed');
  });

  test('when the authority redirects, then the redirect is not followed and the authority is unavailable', async () => {
    const elsewhere = http.createServer((_req, res) => json(res, 200, { result: 'match' }));
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    let reached = false;
    elsewhere.on('request', () => (reached = true));
    try {
      const query = person();
      fake.script(query.documentNumber, (_request, res) => {
        res.writeHead(307, { location: `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/` });
        res.end();
      });
      expect(await unavailableReason(authority.checkPerson(query))).toBe('network');
      expect(reached).toBe(false);
    } finally {
      await new Promise<void>((resolve) => elsewhere.close(() => resolve()));
    }
  });

  test('when nothing listens at the URL, then the authority is unavailable (network)', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const nowhere = new HttpIdentityAuthority({ url: `http://127.0.0.1:${port}/check`, token: 't', timeoutMs: 2000 });
    expect(await unavailableReason(nowhere.checkPerson(person()))).toBe('network');
  });
});
