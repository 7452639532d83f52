import * as client from 'openid-client';
import { createNaturalAccount, credentials } from '../support/accounts.js';
import { TestRelyingParty, tokenError } from '../support/oidc-rp.js';
import { startTestApp, unique, type TestApp } from '../support/test-app.js';
import { UserAgent } from '../support/user-agent.js';

const offline = { scope: 'openid offline_access', prompt: 'consent' };

describe('refresh tokens with rotation', () => {
  let app: TestApp;
  const rp = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-02');

  beforeAll(async () => {
    await rp.listen();
    app = await startTestApp({ clients: [rp.clientEntry()] });
    await rp.discover(app.url);
  });
  afterAll(async () => {
    await app?.close();
    await rp.close();
  });

  test('when offline_access is asked for with prompt=consent, then a refresh token is issued and refreshing returns new tokens and a new refresh token', async () => {
    const natural = await createNaturalAccount(app);
    const tokens = await rp.signIn(new UserAgent(), credentials(natural), offline);
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(tokens.scope?.split(' ')).toEqual(expect.arrayContaining(['openid', 'offline_access']));

    const refreshed = await rp.refresh(tokens.refresh_token!);
    expect(refreshed.refresh_token).toEqual(expect.any(String));
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.claims()!.sub).toBe(natural.account.id);
    expect((await rp.userinfo(refreshed.access_token, natural.account.id)).sub).toBe(natural.account.id);
  });

  test('when offline_access is asked for without prompt=consent, then no refresh token is issued', async () => {
    const natural = await createNaturalAccount(app);
    const tokens = await rp.signIn(new UserAgent(), credentials(natural), { scope: 'openid offline_access' });
    expect(tokens.refresh_token).toBeUndefined();
  });

  test('when a used refresh token is replayed, then it is refused with invalid_grant and the newest refresh token, its access token and the grant are revoked', async () => {
    const natural = await createNaturalAccount(app);
    const tokens = await rp.signIn(new UserAgent(), credentials(natural), offline);
    const first = tokens.refresh_token!;
    const second = await rp.refresh(first);
    const newest = second.refresh_token!;
    const stored = await app.context.db('oidc_models').where({ kind: 'RefreshToken', id: newest }).first('grant_id');
    expect(stored?.grant_id).toEqual(expect.any(String));
    expect(await app.context.db('oidc_models').where({ kind: 'Grant', id: stored!.grant_id })).toHaveLength(1);

    expect(await tokenError(rp.refresh(first))).toBe('invalid_grant');
    // The replay revoked the grant: the legitimate holder's newest token is dead as well.
    expect(await tokenError(rp.refresh(newest))).toBe('invalid_grant');
    await expect(rp.userinfo(second.access_token, natural.account.id)).rejects.toThrow();
    expect(await app.context.db('oidc_models').where({ grant_id: stored!.grant_id })).toHaveLength(0);
    expect(await app.context.db('oidc_models').where({ kind: 'Grant', id: stored!.grant_id })).toHaveLength(0);
  });

  test('when a refresh token is used once, then the one it replaced cannot be used even though it has not expired', async () => {
    const natural = await createNaturalAccount(app);
    const tokens = await rp.signIn(new UserAgent(), credentials(natural), offline);
    await rp.refresh(tokens.refresh_token!);
    const row = await app.context.db('oidc_models').where({ kind: 'RefreshToken', id: tokens.refresh_token }).first('consumed_at', 'expires_at');
    // Before the replay below revokes it, the first token is stored as consumed, not deleted.
    expect(row?.consumed_at).toBeTruthy();
    expect(new Date(row!.expires_at).getTime()).toBeGreaterThan(Date.now());
    expect(await tokenError(rp.refresh(tokens.refresh_token!))).toBe('invalid_grant');
  });

  test('when a refresh token is used, then the token and its grant are read in one statement, and a grant deleted since is not found', async () => {
    const natural = await createNaturalAccount(app);
    const tokens = await rp.signIn(new UserAgent(), credentials(natural), offline);
    const statements: string[] = [];
    const record = (query: { sql: string }) => statements.push(query.sql);
    app.context.db.on('query', record);
    try {
      const refreshed = await rp.refresh(tokens.refresh_token!);
      // Reads: the refresh token with its grant, the account. Writes: consume, new refresh token, access token.
      expect(statements.filter((sql) => /^select/i.test(sql.trim()))).toHaveLength(2);
      expect(statements).toHaveLength(5);

      const { grant_id: grantId } = (await app.context.db('oidc_models').where({ kind: 'RefreshToken', id: refreshed.refresh_token }).first('grant_id'))!;
      await app.context.db('oidc_models').where({ kind: 'Grant', id: grantId }).delete();
      expect(await tokenError(rp.refresh(refreshed.refresh_token!))).toBe('invalid_grant');
    } finally {
      app.context.db.off('query', record);
    }
  });
});

describe('token lifetimes and client authentication', () => {
  let app: TestApp;
  const rp = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-02b');

  beforeAll(async () => {
    await rp.listen();
    app = await startTestApp({
      clients: [rp.clientEntry()],
      env: { ACCESS_TOKEN_TTL: '120', ID_TOKEN_TTL: '300', REFRESH_TOKEN_TTL: '600', SESSION_TTL: '900' },
    });
    await rp.discover(app.url);
  });
  afterAll(async () => {
    await app?.close();
    await rp.close();
  });

  test('when lifetimes are set in the settings, then access, ID and refresh tokens and the OP session get them', async () => {
    const natural = await createNaturalAccount(app);
    const tokens = await rp.signIn(new UserAgent(), credentials(natural), offline);

    expect(tokens.expires_in).toBe(120);
    const claims = tokens.claims()!;
    expect(claims.exp - claims.iat).toBe(300);
    const secondsLeft = (row: { expires_at: string } | undefined) => (new Date(row!.expires_at).getTime() - Date.now()) / 1000;
    const refresh = await app.context.db('oidc_models').where({ kind: 'RefreshToken', id: tokens.refresh_token }).first('expires_at');
    expect(secondsLeft(refresh)).toBeGreaterThan(590);
    expect(secondsLeft(refresh)).toBeLessThanOrEqual(600);
    const session = await app.context.db('oidc_models').where({ kind: 'Session' }).whereRaw("payload->>'accountId' = ?", [natural.account.id]).first('expires_at');
    expect(secondsLeft(session)).toBeGreaterThan(890);
    expect(secondsLeft(session)).toBeLessThanOrEqual(900);
  });

  test('when the RP authenticates with a wrong client secret, then the token endpoint refuses it with invalid_client', async () => {
    const natural = await createNaturalAccount(app);
    const agent = new UserAgent();
    const { request, page } = await rp.openAuthorization(agent);
    const done = await rp.submitLogin(agent, page, credentials(natural));
    const impostor = new client.Configuration(rp.config.serverMetadata(), rp.clientId, 'not-the-secret-0123456789-0123456789');
    client.allowInsecureRequests(impostor);
    await expect(
      client.authorizationCodeGrant(impostor, new URL(done.url), { pkceCodeVerifier: request.codeVerifier, expectedState: request.state }),
    ).rejects.toMatchObject({ error: 'invalid_client' });
  });
});
