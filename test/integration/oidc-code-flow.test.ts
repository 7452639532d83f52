import { startTestApp, unique, uniqueMobile, STRONG_PASSWORD, type TestApp } from '../support/test-app.js';
import { TestRelyingParty } from '../support/oidc-rp.js';
import { UserAgent } from '../support/user-agent.js';

describe('authorization code flow with PKCE', () => {
  let app: TestApp;
  const rp = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-01');

  beforeAll(async () => {
    await rp.listen();
    app = await startTestApp({ clients: [rp.clientEntry()] });
    await rp.discover(app.url);
  });
  afterAll(async () => {
    await app?.close();
    await rp.close();
  });

  test('when a natural person signs in through the natural window, then the RP gets a valid ID token with account_type natural', async () => {
    const loginName = unique('nat');
    const account = await app.context.accountService.create(
      { kind: 'natural', loginName, password: STRONG_PASSWORD, mobile: uniqueMobile(), name: '张三' },
      { type: 'cli' },
    );
    const tokens = await rp.signIn(new UserAgent(), { window: 'natural', loginName, password: STRONG_PASSWORD });
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(account.id);
    expect(claims.account_type).toBe('natural');
    expect(claims.name).toBe('张三');
    expect(claims.preferred_username).toBe(loginName);
  });
});
