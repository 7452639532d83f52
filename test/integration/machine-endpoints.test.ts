import { startTestApp, type TestApp } from '../support/test-app.js';
import { UserAgent } from '../support/user-agent.js';

/**
 * oidc-provider's machine endpoints skip our page middleware (src/app.ts) for clients that do not
 * prefer HTML; a browser keeps the full stack, since the provider may answer it with an error page.
 */
describe('machine endpoints and pages', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  test.each(['/jwks', '/.well-known/openid-configuration'])(
    'when a library fetches %s, then it gets JSON with a request id and nosniff, without the page headers or cookies',
    async (path) => {
      const response = await new UserAgent({ accept: 'application/json' }).request(`${app.url}${path}`);
      expect(response.status).toBe(200);
      expect(() => JSON.parse(response.body)).not.toThrow();
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('content-security-policy')).toBeNull();
      expect(response.headers.getSetCookie()).toEqual([]);
    },
  );

  test('when the userinfo endpoint is called without a token, then the answer is oidc-provider\'s JSON error with no-store', async () => {
    const response = await new UserAgent({ accept: 'application/json' }).request(`${app.url}/me`);
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'invalid_token' });
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  test('when a browser opens the userinfo endpoint, then the error page has the security headers and the chosen language', async () => {
    const agent = new UserAgent({ accept: 'text/html' });
    await agent.request(`${app.url}/help?lang=en`); // sets the language cookie
    const page = await agent.request(`${app.url}/me`);
    expect(page.status).toBe(401);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.body).toContain('<html lang="en"');
  });

  test('when a machine endpoint is called with a method it does not have, then a JSON client gets a JSON 404 and a browser our page', async () => {
    const json = await new UserAgent({ accept: 'application/json' }).request(`${app.url}/token`);
    expect(json.status).toBe(404);
    expect(JSON.parse(json.body)).toMatchObject({ error: 'error.not_found' });
    const page = await new UserAgent({ accept: 'text/html' }).request(`${app.url}/token`);
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).not.toBeNull();
  });

  test('when the authorization endpoint is opened, then it keeps the page stack (security headers)', async () => {
    const page = await new UserAgent({ accept: 'application/json' }).request(`${app.url}/auth?client_id=nobody`);
    expect(page.headers.get('content-security-policy')).not.toBeNull();
    expect(page.headers.get('x-frame-options')).toBe('DENY');
  });
});
