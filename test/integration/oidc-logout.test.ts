import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { createNaturalAccount, credentials } from '../support/accounts.js';
import { TestRelyingParty } from '../support/oidc-rp.js';
import { startTestApp, unique, type TestApp } from '../support/test-app.js';
import { formAction, hiddenInput, UserAgent } from '../support/user-agent.js';

const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

describe('RP-initiated and back-channel logout', () => {
  let app: TestApp;
  const rpA = new TestRelyingParty(unique('rpa'), 'rp-secret-0123456789-0123456789-0a');
  const rpB = new TestRelyingParty(unique('rpb'), 'rp-secret-0123456789-0123456789-0b');
  const rpC = new TestRelyingParty(unique('rpc'), 'rp-secret-0123456789-0123456789-0c');

  beforeAll(async () => {
    await Promise.all([rpA.listen(), rpB.listen(), rpC.listen()]);
    app = await startTestApp({ clients: [rpA.clientEntry(), rpB.clientEntry(), rpC.clientEntry()] });
    await Promise.all([rpA.discover(app.url), rpB.discover(app.url), rpC.discover(app.url)]);
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([rpA.close(), rpB.close(), rpC.close()]);
  });

  /** Opens the OP's logout page through openid-client's end-session URL and confirms it. */
  async function logOut(agent: UserAgent, rp: TestRelyingParty, idToken: string) {
    const page = await agent.follow(rp.endSessionUrl(idToken), rp.postLogoutRedirectUri);
    expect(page.status).toBe(200);
    expect(page.body).toContain('退出登录');
    const xsrf = hiddenInput(page.body, 'xsrf');
    const action = formAction(page.body, /\/session\/end\/confirm/, page.url);
    expect(xsrf).toEqual(expect.any(String));
    expect(action).toEqual(expect.any(String));
    return { page, end: await agent.submit(action!, { xsrf: xsrf!, logout: 'yes' }, rp.postLogoutRedirectUri) };
  }

  async function verifyLogoutToken(token: string, audience: string) {
    const jwks = createRemoteJWKSet(new URL(`${app.url}/jwks`));
    const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: app.url, audience, typ: 'logout+jwt' });
    return { payload, protectedHeader };
  }

  test('when the RP sends the user to the end-session URL and the user confirms, then the user lands on post_logout_redirect_uri and the OP session is gone', async () => {
    const natural = await createNaturalAccount(app);
    const agent = new UserAgent();
    const tokens = await rpA.signIn(agent, credentials(natural));

    const { end } = await logOut(agent, rpA, tokens.id_token!);
    expect(end.url).toBe(rpA.postLogoutRedirectUri);

    // Signed out: the next authorization request shows the login page again.
    const again = await rpA.openAuthorization(agent);
    expect(again.page.url).toMatch(new RegExp(`^${app.url}/interaction/`));
    expect(again.page.body).toContain('name="password"');
  });

  test('when the logout form is posted without its xsrf value, then the OP refuses it and the session stays', async () => {
    const natural = await createNaturalAccount(app);
    const agent = new UserAgent();
    const tokens = await rpA.signIn(agent, credentials(natural));
    const page = await agent.follow(rpA.endSessionUrl(tokens.id_token!), rpA.postLogoutRedirectUri);
    const action = formAction(page.body, /\/session\/end\/confirm/, page.url)!;

    const refused = await agent.request(action, { form: { xsrf: 'forged', logout: 'yes' } });
    expect(refused.status).toBe(400);
    expect(refused.location).toBeNull();
    const again = await rpA.openAuthorization(agent);
    expect(again.page.url.startsWith(rpA.redirectUri)).toBe(true);
  });

  test('when a user signed in to two RPs logs out from one, then each RP receives a signed back-channel logout token for that session, and an RP not signed in receives none', async () => {
    const natural = await createNaturalAccount(app);
    const agent = new UserAgent();
    const tokensA = await rpA.signIn(agent, credentials(natural));
    const tokensB = await rpB.signIn(agent, credentials(natural));
    // oidc-provider gives every RP its own sid for the one OP session.
    const sids = { [rpA.clientId]: tokensA.claims()!.sid, [rpB.clientId]: tokensB.claims()!.sid };
    expect(sids[rpA.clientId]).toEqual(expect.any(String));
    expect(sids[rpB.clientId]).toEqual(expect.any(String));
    const before = { a: rpA.logoutTokens.length, b: rpB.logoutTokens.length, c: rpC.logoutTokens.length };

    const { end } = await logOut(agent, rpA, tokensA.id_token!);
    expect(end.url).toBe(rpA.postLogoutRedirectUri);

    const newA = rpA.logoutTokens.slice(before.a);
    const newB = rpB.logoutTokens.slice(before.b);
    expect(newA).toHaveLength(1);
    expect(newB).toHaveLength(1);
    expect(rpC.logoutTokens.length).toBe(before.c);

    const kids = ((await (await fetch(`${app.url}/jwks`)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
    for (const [token, rp] of [
      [newA[0]!, rpA],
      [newB[0]!, rpB],
    ] as const) {
      expect(token.split('.')).toHaveLength(3);
      expect(kids).toContain(decodeProtectedHeader(token).kid);
      const { payload } = await verifyLogoutToken(token, rp.clientId);
      expect(payload.iss).toBe(app.url);
      expect(payload.aud).toBe(rp.clientId);
      expect(payload.sub).toBe(natural.account.id);
      expect(payload.sid).toBe(sids[rp.clientId]);
      expect(payload.events).toEqual({ [BACKCHANNEL_LOGOUT_EVENT]: {} });
      expect(payload.jti).toEqual(expect.any(String));
      expect(payload).not.toHaveProperty('nonce');
    }
    // A logout token for one RP is not valid for the other.
    await expect(verifyLogoutToken(newA[0]!, rpB.clientId)).rejects.toThrow();
    // Ending the OP session revoked both RPs' grants: their access tokens are refused.
    await expect(rpA.userinfo(tokensA.access_token, natural.account.id)).rejects.toMatchObject({ status: 401 });
    await expect(rpB.userinfo(tokensB.access_token, natural.account.id)).rejects.toMatchObject({ status: 401 });
  });

  test('when the user declines to end the OP session on the logout page, then only the RP that asked is logged out (back-channel) and SSO into the other RP still works', async () => {
    const natural = await createNaturalAccount(app);
    const agent = new UserAgent();
    const tokensA = await rpA.signIn(agent, credentials(natural));
    await rpB.signIn(agent, credentials(natural));
    const before = { a: rpA.logoutTokens.length, b: rpB.logoutTokens.length };
    const page = await agent.follow(rpA.endSessionUrl(tokensA.id_token!), rpA.postLogoutRedirectUri);
    const xsrf = hiddenInput(page.body, 'xsrf')!;
    const action = formAction(page.body, /\/session\/end\/confirm/, page.url)!;

    // The cancel button submits the form without logout=yes.
    const end = await agent.submit(action, { xsrf }, rpA.postLogoutRedirectUri);
    expect(end.url).toBe(rpA.postLogoutRedirectUri);
    expect(rpA.logoutTokens.length).toBe(before.a + 1);
    expect(rpB.logoutTokens.length).toBe(before.b);
    expect((await verifyLogoutToken(rpA.logoutTokens.at(-1)!, rpA.clientId)).payload.sid).toBe(tokensA.claims()!.sid);

    const again = await rpB.openAuthorization(agent);
    expect(again.page.url.startsWith(rpB.redirectUri)).toBe(true);
  });
});
