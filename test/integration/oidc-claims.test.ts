import { createLegalAccount, createNaturalAccount, credentials } from '../support/accounts.js';
import { TestRelyingParty } from '../support/oidc-rp.js';
import { startTestApp, unique, type TestApp } from '../support/test-app.js';
import { UserAgent } from '../support/user-agent.js';

describe('authorization code flow with PKCE: claims by scope', () => {
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

  test('when a natural person signs in with the profile scope, then the ID token and userinfo carry sub, account_type natural, name and login name', async () => {
    const natural = await createNaturalAccount(app, { name: '李四' });
    const tokens = await rp.signIn(new UserAgent(), credentials(natural), { scope: 'openid profile' });

    const idClaims = tokens.claims()!;
    expect(idClaims).toMatchObject({
      iss: app.url,
      aud: rp.clientId,
      sub: natural.account.id,
      account_type: 'natural',
      name: '李四',
      preferred_username: natural.loginName,
    });
    expect(idClaims).not.toHaveProperty('uscc');

    const userinfo = await rp.userinfo(tokens.access_token, natural.account.id);
    expect(userinfo).toMatchObject({
      sub: natural.account.id,
      account_type: 'natural',
      name: '李四',
      preferred_username: natural.loginName,
    });
    // Scopes not asked for release nothing.
    expect(userinfo).not.toHaveProperty('phone_number');
    expect(userinfo).not.toHaveProperty('real_name_status');
  });

  test('when a legal account signs in through the legal window with the org scope, then uscc, org_name, org_type and registration_region are released with account_type legal', async () => {
    const legal = await createLegalAccount(app, { orgType: 'social_organization' });
    const tokens = await rp.signIn(new UserAgent(), credentials(legal), { scope: 'openid profile org', login_type: 'legal' });
    const expected = {
      sub: legal.account.id,
      account_type: 'legal',
      name: legal.account.legal!.orgName,
      uscc: legal.account.legal!.uscc,
      org_name: legal.account.legal!.orgName,
      org_type: 'social_organization',
      registration_region: 'domestic',
    };
    expect(legal.account.legal!.uscc).toMatch(/^[0-9A-Y]{18}$/);
    expect(tokens.claims()).toMatchObject(expected);
    expect(await rp.userinfo(tokens.access_token, legal.account.id)).toMatchObject(expected);
  });

  test('when a legal account signs in without the org scope, then no organisation claims are released', async () => {
    const legal = await createLegalAccount(app);
    const tokens = await rp.signIn(new UserAgent(), credentials(legal), { scope: 'openid' });
    const userinfo = await rp.userinfo(tokens.access_token, legal.account.id);
    expect(userinfo).toEqual({ sub: legal.account.id, account_type: 'legal' });
    for (const claim of ['uscc', 'org_name', 'org_type', 'registration_region', 'name']) {
      expect(tokens.claims()).not.toHaveProperty(claim);
    }
  });

  test('when the phone, email and real_name scopes are asked for, then userinfo releases their claims', async () => {
    const email = `${unique('mail')}@example.cn`;
    const natural = await createNaturalAccount(app, { email, mobileVerified: true, realNameVerified: true });
    const tokens = await rp.signIn(new UserAgent(), credentials(natural), { scope: 'openid phone email real_name' });
    const userinfo = await rp.userinfo(tokens.access_token, natural.account.id);

    expect(userinfo.phone_number).toBe(`+86${natural.account.mobile}`);
    expect(userinfo.phone_number_verified).toBe(true);
    expect(userinfo.email).toBe(email);
    expect(userinfo.email_verified).toBe(false);
    expect(userinfo.real_name_status).toBe(natural.account.realNameStatus);
    expect(natural.account.realNameStatus).toBe('verified');
    expect(userinfo.real_name_verified_at).toBe(Math.floor(natural.account.realNameVerifiedAt!.getTime() / 1000));
    // profile was not asked for.
    expect(userinfo).not.toHaveProperty('name');
    expect(userinfo).not.toHaveProperty('preferred_username');
  });

  test('when an unverified account asks for real_name, then real_name_status is unverified and no verification time is released', async () => {
    const natural = await createNaturalAccount(app);
    const tokens = await rp.signIn(new UserAgent(), credentials(natural), { scope: 'openid real_name' });
    const userinfo = await rp.userinfo(tokens.access_token, natural.account.id);
    expect(userinfo.real_name_status).toBe('unverified');
    expect(userinfo).not.toHaveProperty('real_name_verified_at');
  });
});
