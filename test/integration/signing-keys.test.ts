import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { createNaturalAccount, credentials } from '../support/accounts.js';
import { TestRelyingParty } from '../support/oidc-rp.js';
import { startTestApp, unique, type TestApp } from '../support/test-app.js';
import { UserAgent } from '../support/user-agent.js';

async function publishedKeys(app: TestApp): Promise<JSONWebKeySet> {
  const response = await fetch(`${app.url}/jwks`);
  expect(response.status).toBe(200);
  return (await response.json()) as JSONWebKeySet;
}

describe('signing keys: stored encrypted, rotated without invalidating issued tokens', () => {
  const apps: TestApp[] = [];
  const rpBefore = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-5a');
  const rpAfter = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-5b');

  beforeAll(async () => {
    await Promise.all([rpBefore.listen(), rpAfter.listen()]);
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await Promise.all([rpBefore.close(), rpAfter.close()]);
  });

  const start = async () => {
    const app = await startTestApp({ clients: [rpBefore.clientEntry(), rpAfter.clientEntry()] });
    apps.push(app);
    return app;
  };

  test('when the keys are rotated and an instance starts, then its JWKS holds the new and the retired key, it signs with the new one, and a token signed before still verifies', async () => {
    const before = await start();
    await rpBefore.discover(before.url);
    const natural = await createNaturalAccount(before);
    const oldTokens = await rpBefore.signIn(new UserAgent(), credentials(natural));
    const oldIdToken = oldTokens.id_token!;
    const oldKid = decodeProtectedHeader(oldIdToken).kid!;
    expect((await publishedKeys(before)).keys.map((k) => k.kid)).toContain(oldKid);

    const { newKid, retiredKids } = await before.context.signingKeys.rotate();
    expect(retiredKids).toContain(oldKid);
    expect(newKid).not.toBe(oldKid);

    const after = await start();
    const jwks = await publishedKeys(after);
    const kids = jwks.keys.map((k) => k.kid);
    expect(kids).toEqual(expect.arrayContaining([newKid, oldKid]));
    expect(kids[0]).toBe(newKid);
    // Only public parts are published.
    for (const key of jwks.keys) {
      expect(key).not.toHaveProperty('d');
      expect(key).not.toHaveProperty('p');
      expect(key).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'RS256' });
    }

    await rpAfter.discover(after.url);
    const newTokens = await rpAfter.signIn(new UserAgent(), credentials(natural));
    expect(decodeProtectedHeader(newTokens.id_token!).kid).toBe(newKid);
    const keySet = createLocalJWKSet(jwks);
    const verifiedNew = await jwtVerify(newTokens.id_token!, keySet, { issuer: after.url, audience: rpAfter.clientId });
    expect(verifiedNew.payload.sub).toBe(natural.account.id);

    // The token issued before the rotation still verifies against the JWKS published after it.
    const verifiedOld = await jwtVerify(oldIdToken, keySet, { issuer: before.url, audience: rpBefore.clientId });
    expect(verifiedOld.payload.sub).toBe(natural.account.id);
    expect(verifiedOld.protectedHeader.kid).toBe(oldKid);

    // Access tokens from before the rotation are opaque and stored: still honoured.
    expect((await rpBefore.userinfo(oldTokens.access_token, natural.account.id)).sub).toBe(natural.account.id);

    const listed = await after.context.signingKeys.list();
    expect(listed.find((k) => k.kid === newKid)?.retiredAt).toBeNull();
    expect(listed.find((k) => k.kid === oldKid)?.retiredAt).toBeInstanceOf(Date);
  });

  test('when signing keys are stored, then the private key is encrypted (no JWK private members in the column) and decrypts to an RSA private key', async () => {
    const app = apps[0] ?? (await start());
    const rows = await app.context.db('signing_keys').select('kid', 'private_jwk_encrypted');
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.private_jwk_encrypted).not.toContain('"d":');
      expect(row.private_jwk_encrypted).not.toContain('"kty"');
      expect(row.private_jwk_encrypted).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
      const jwk = JSON.parse(app.context.crypt.decrypt(row.private_jwk_encrypted));
      expect(jwk).toMatchObject({ kid: row.kid, kty: 'RSA', alg: 'RS256' });
      expect(jwk.d).toEqual(expect.any(String));
    }
  });
});

describe('signing key rotation across running instances', () => {
  const rp = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-5c');
  const apps: TestApp[] = [];

  beforeAll(async () => {
    await rp.listen();
    apps.push(await startTestApp({ clients: [rp.clientEntry()] }), await startTestApp({ clients: [rp.clientEntry()] }));
    await rp.discover(apps[0]!.url);
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await rp.close();
  });

  test('when a key is rotated with an activation delay, then running instances publish it after a reload but sign with it only once it is active', async () => {
    const [a, b] = apps as [TestApp, TestApp];
    const natural = await createNaturalAccount(a);
    const signedKid = async () => decodeProtectedHeader((await rp.signIn(new UserAgent(), credentials(natural))).id_token!).kid;
    const before = await signedKid();

    const { newKid, activatesAt } = await a.context.signingKeys.rotate(2);
    expect(await a.providers.reload()).toBe(true);
    expect(await b.providers.reload()).toBe(true);
    // Published by every instance, but not yet signing.
    expect((await publishedKeys(b)).keys.map((k) => k.kid)).toEqual(expect.arrayContaining([before, newKid]));
    expect(await signedKid()).toBe(before);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, activatesAt.getTime() - Date.now()) + 100));
    expect(await a.providers.reload()).toBe(true);
    expect(await b.providers.reload()).toBe(true);
    expect(await signedKid()).toBe(newKid);
    // A reload with nothing changed keeps the provider.
    expect(await a.providers.reload()).toBe(false);
    // A token from instance A verifies against instance B's published keys.
    const tokens = await rp.signIn(new UserAgent(), credentials(natural));
    const verified = await jwtVerify(tokens.id_token!, createLocalJWKSet(await publishedKeys(b)), { issuer: a.url, audience: rp.clientId });
    expect(verified.protectedHeader.kid).toBe(newKid);
  });
});
