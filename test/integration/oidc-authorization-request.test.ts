import * as client from 'openid-client';
import { createNaturalAccount, credentials } from '../support/accounts.js';
import { TestRelyingParty } from '../support/oidc-rp.js';
import { startTestApp, unique, type TestApp } from '../support/test-app.js';
import { UserAgent } from '../support/user-agent.js';

describe('authorization requests the OP refuses', () => {
  let app: TestApp;
  const rp = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-2a');

  beforeAll(async () => {
    await rp.listen();
    app = await startTestApp({ clients: [rp.clientEntry()] });
    await rp.discover(app.url);
  });
  afterAll(async () => {
    await app?.close();
    await rp.close();
  });

  /** An authorization URL built by openid-client, with `params` set and `drop` removed. */
  function authorizationUrl(params: Record<string, string>, drop: string[] = []) {
    const url = client.buildAuthorizationUrl(rp.config, {
      redirect_uri: rp.redirectUri,
      scope: 'openid',
      state: 'st-' + unique(),
      code_challenge: client.randomPKCECodeVerifier().slice(0, 43),
      code_challenge_method: 'S256',
      ...params,
    });
    for (const name of drop) url.searchParams.delete(name);
    return url;
  }

  /** The OP's own error page: 400, HTML, no redirect anywhere. */
  async function expectOpErrorPage(url: URL, code: string) {
    const response = await new UserAgent().request(url.href);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.location).toBeNull();
    expect(response.body).toContain(code);
    expect(response.body).not.toContain(rp.base);
    return response;
  }

  /** An error redirect to the RP's registered redirect URI, with no code in it. */
  async function expectErrorRedirect(url: URL) {
    const response = await new UserAgent().request(url.href);
    expect(response.status).toBe(303);
    const location = new URL(response.location!);
    expect(`${location.origin}${location.pathname}`).toBe(rp.redirectUri);
    expect(location.searchParams.has('code')).toBe(false);
    expect(location.searchParams.get('state')).toBe(url.searchParams.get('state'));
    expect(location.searchParams.get('iss')).toBe(app.url);
    return location.searchParams;
  }

  test('when the request has no code_challenge, then the OP redirects back with invalid_request and no code', async () => {
    const result = await expectErrorRedirect(authorizationUrl({}, ['code_challenge', 'code_challenge_method']));
    expect(result.get('error')).toBe('invalid_request');
    expect(result.get('error_description')).toMatch(/PKCE/i);
  });

  test('when code_challenge_method is plain, then the OP redirects back with invalid_request and no code', async () => {
    const verifier = client.randomPKCECodeVerifier();
    const result = await expectErrorRedirect(authorizationUrl({ code_challenge: verifier, code_challenge_method: 'plain' }));
    expect(result.get('error')).toBe('invalid_request');
    expect(result.get('error_description')).toMatch(/code_challenge_method/);
  });

  test('when the code_challenge is given without a method, then the OP refuses it (plain is never assumed)', async () => {
    const verifier = client.randomPKCECodeVerifier();
    const result = await expectErrorRedirect(authorizationUrl({ code_challenge: verifier }, ['code_challenge_method']));
    expect(result.get('error')).toBe('invalid_request');
  });

  test('when the code is redeemed with the wrong code_verifier, then the token endpoint refuses it with invalid_grant', async () => {
    const natural = await createNaturalAccount(app);
    const agent = new UserAgent();
    const { request, page } = await rp.openAuthorization(agent);
    const done = await rp.submitLogin(agent, page, credentials(natural));
    expect(done.url.startsWith(rp.redirectUri)).toBe(true);
    await expect(
      rp.callback(done.url, { ...request, codeVerifier: client.randomPKCECodeVerifier() }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  test.each([
    ['a trailing slash', (uri: string) => `${uri}/`],
    ['different case', (uri: string) => uri.replace('/callback', '/Callback')],
    ['an extra query parameter', (uri: string) => `${uri}?next=/admin`],
    ['a different port', (uri: string) => uri.replace(/:(\d+)\//, (_m, port) => `:${Number(port) + 1}/`)],
  ])('when the redirect_uri differs from the registered one by %s, then the OP shows its own error page and does not redirect', async (_label, alter) => {
    const response = await expectOpErrorPage(authorizationUrl({ redirect_uri: alter(rp.redirectUri) }), 'invalid_redirect_uri');
    expect(response.body).toContain('回调地址未登记');
  });

  test('when the redirect_uri is missing, then the OP shows its error page (even though the client has one registered URI)', async () => {
    const response = await expectOpErrorPage(authorizationUrl({}, ['redirect_uri']), 'invalid_request');
    expect(response.body).toContain('redirect_uri');
  });

  test('when the client_id is unknown, then the OP shows its error page and does not redirect', async () => {
    const url = authorizationUrl({});
    url.searchParams.set('client_id', unique('nobody'));
    const response = await expectOpErrorPage(url, 'invalid_client');
    expect(response.body).toContain('未在本平台登记');
  });

  test.each([
    ['id_token', 'hash'],
    ['token', 'hash'],
    ['code id_token', 'hash'],
    ['code token', 'hash'],
    ['none', 'search'],
  ] as const)(
    'when response_type is "%s", then the OP redirects back with unsupported_response_type and issues neither code nor token',
    async (responseType, part) => {
      const url = authorizationUrl({ response_type: responseType, nonce: unique() });
      const response = await new UserAgent().request(url.href);
      expect(response.status).toBe(303);
      const location = new URL(response.location!);
      expect(`${location.origin}${location.pathname}`).toBe(rp.redirectUri);
      // Errors go where that response type's answer would have gone (fragment for implicit/hybrid).
      const params = new URLSearchParams(location[part].slice(1));
      expect(params.get('error')).toBe('unsupported_response_type');
      expect(params.get('state')).toBe(url.searchParams.get('state'));
      expect(params.get('iss')).toBe(app.url);
      for (const issued of ['code', 'id_token', 'access_token']) {
        expect(location.searchParams.has(issued)).toBe(false);
        expect(new URLSearchParams(location.hash.slice(1)).has(issued)).toBe(false);
      }
    },
  );

  test('when the discovery document is read, then it offers only the code response type, S256 and the iss response parameter', async () => {
    const metadata = rp.config.serverMetadata();
    expect(metadata.response_types_supported).toEqual(['code']);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
    expect(metadata.backchannel_logout_supported).toBe(true);
    expect(metadata.end_session_endpoint).toBe(`${app.url}/session/end`);
  });

  test('when the authorization succeeds, then the response carries iss equal to the issuer', async () => {
    const natural = await createNaturalAccount(app);
    const agent = new UserAgent();
    const { page } = await rp.openAuthorization(agent);
    const done = await rp.submitLogin(agent, page, credentials(natural));
    const callback = new URL(done.url);
    expect(callback.searchParams.get('code')).toEqual(expect.any(String));
    expect(callback.searchParams.get('iss')).toBe(app.url);
    expect(callback.searchParams.get('iss')).toBe(rp.config.serverMetadata().issuer);
  });

  test('when the authorization response carries a different iss, then openid-client (the RP) rejects it', async () => {
    const natural = await createNaturalAccount(app);
    const agent = new UserAgent();
    const { request, page } = await rp.openAuthorization(agent);
    const done = await rp.submitLogin(agent, page, credentials(natural));
    const forged = new URL(done.url);
    forged.searchParams.set('iss', 'http://127.0.0.1:1');
    await expect(rp.callback(forged.href, request)).rejects.toMatchObject({
      code: 'OAUTH_INVALID_RESPONSE',
      cause: expect.objectContaining({ message: expect.stringContaining('"iss"') }),
    });
  });
});
