import { createLegalAccount, createNaturalAccount, credentials } from '../support/accounts.js';
import { TestRelyingParty } from '../support/oidc-rp.js';
import { startTestApp, unique, type TestApp } from '../support/test-app.js';
import { UserAgent } from '../support/user-agent.js';

describe('single sign-on across relying parties', () => {
  let app: TestApp;
  const rpA = new TestRelyingParty(unique('rpa'), 'rp-secret-0123456789-0123456789-1a');
  const rpB = new TestRelyingParty(unique('rpb'), 'rp-secret-0123456789-0123456789-1b');

  beforeAll(async () => {
    await Promise.all([rpA.listen(), rpB.listen()]);
    app = await startTestApp({ clients: [rpA.clientEntry(), rpB.clientEntry()] });
    await Promise.all([rpA.discover(app.url), rpB.discover(app.url)]);
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([rpA.close(), rpB.close()]);
  });

  test('when a user signed in to RP A opens RP B, then the OP redirects straight back to B with a code and no login page', async () => {
    const natural = await createNaturalAccount(app);
    const agent = new UserAgent();
    const tokensA = await rpA.signIn(agent, credentials(natural));

    const { request, page } = await rpB.openAuthorization(agent);
    expect(page.url.startsWith(rpB.redirectUri)).toBe(true);
    expect(new URL(page.url).searchParams.get('code')).toEqual(expect.any(String));
    // Every hop after sign-in to A stayed on the OP's authorization/resume endpoints: no interaction page.
    const hopsForB = agent.history.slice(agent.history.indexOf(request.url));
    expect(hopsForB.some((url) => url.includes('/interaction/'))).toBe(false);

    const tokensB = await rpB.callback(page.url, request);
    expect(tokensB.claims()!.sub).toBe(natural.account.id);
    expect(tokensB.claims()!.aud).toBe(rpB.clientId);
    expect(tokensB.claims()!.auth_time).toBe(tokensA.claims()!.auth_time);
  });

  test('when another user agent (no OP session) opens RP B, then it is shown the login page', async () => {
    const legal = await createLegalAccount(app);
    await rpA.signIn(new UserAgent(), credentials(legal));
    const { page } = await rpB.openAuthorization(new UserAgent());
    expect(page.status).toBe(200);
    expect(page.url).toMatch(new RegExp(`^${app.url}/interaction/`));
    expect(page.body).toContain('name="password"');
  });

  test('when prompt=login is sent by RP B during an SSO session, then the login page is shown again', async () => {
    const natural = await createNaturalAccount(app);
    const agent = new UserAgent();
    await rpA.signIn(agent, credentials(natural));
    const { page } = await rpB.openAuthorization(agent, { prompt: 'login' });
    expect(page.url).toMatch(new RegExp(`^${app.url}/interaction/`));
    expect(page.body).toContain('name="password"');
  });
});

describe('several instances on one database', () => {
  let instanceA: TestApp;
  let instanceB: TestApp;
  const rp = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-1c');
  const rpOther = new TestRelyingParty(unique('rpo'), 'rp-secret-0123456789-0123456789-1d');

  beforeAll(async () => {
    await Promise.all([rp.listen(), rpOther.listen()]);
    const clients = [rp.clientEntry(), rpOther.clientEntry()];
    instanceA = await startTestApp({ clients });
    // Behind one load balancer both instances answer for the same issuer.
    instanceB = await startTestApp({ clients, env: { ISSUER: instanceA.url } });
    await Promise.all([rp.discover(instanceA.url), rpOther.discover(instanceA.url)]);
  });
  afterAll(async () => {
    await instanceA?.close();
    await instanceB?.close();
    await Promise.all([rp.close(), rpOther.close()]);
  });

  /** Sends an authorization URL made for instance A to instance B, as a load balancer might. */
  const viaB = (url: string) => url.replace(instanceA.url, instanceB.url);

  test('when a user signs in on instance A, then instance B honours the session: SSO without a login page, and the code it issues is redeemed at A', async () => {
    const natural = await createNaturalAccount(instanceA);
    const agent = new UserAgent();
    await rp.signIn(agent, credentials(natural));

    const request = await rpOther.authorizationRequest();
    const page = await agent.follow(viaB(request.url), rpOther.redirectUri);
    expect(page.url.startsWith(rpOther.redirectUri)).toBe(true);
    const callback = new URL(page.url);
    expect(callback.searchParams.get('iss')).toBe(instanceA.url);

    const tokens = await rpOther.callback(page.url, request);
    expect(tokens.claims()!.sub).toBe(natural.account.id);
    expect(tokens.claims()!.iss).toBe(instanceA.url);
  });

  test('when a login starts on instance A and the form is posted to instance B, then B completes the interaction', async () => {
    const natural = await createNaturalAccount(instanceA);
    const agent = new UserAgent();
    const { request, page } = await rp.openAuthorization(agent);
    expect(page.url).toMatch(new RegExp(`^${instanceA.url}/interaction/`));

    const onB = { url: viaB(page.url), body: page.body };
    const done = await rp.submitLogin(agent, onB, credentials(natural));
    expect(done.url.startsWith(rp.redirectUri)).toBe(true);
    const tokens = await rp.callback(done.url, request);
    expect(tokens.claims()!.sub).toBe(natural.account.id);
  });

  test('when both instances have started, then the cookie and CSRF keys they share are stored in app_secrets encrypted, one row each', async () => {
    const rows = await instanceA.context.db('app_secrets').whereIn('name', ['cookie_key', 'csrf_key']).select('name', 'value_encrypted');
    expect(rows.map((r) => r.name).sort()).toEqual(['cookie_key', 'csrf_key']);
    for (const row of rows) {
      const plain = instanceB.context.crypt.decrypt(row.value_encrypted);
      expect(Buffer.from(plain, 'base64')).toHaveLength(32);
      expect(row.value_encrypted).not.toContain(plain);
    }
  });
});
