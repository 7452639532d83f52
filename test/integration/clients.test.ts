import path from 'node:path';
import { ClientsFileError, loadClientsFile, parseClients } from '../../src/oidc/clients.js';
import { projectRoot } from '../../src/paths.js';
import { createNaturalAccount, credentials } from '../support/accounts.js';
import { TestRelyingParty } from '../support/oidc-rp.js';
import { startTestApp, unique, type TestApp } from '../support/test-app.js';
import { formAction, hiddenInput, UserAgent } from '../support/user-agent.js';

const SECRET = 'a-client-secret-of-more-than-32-characters';

/** A valid entry; tests change one field at a time. */
function entry(extra: Record<string, unknown> = {}) {
  return {
    client_id: 'portal',
    client_secret: SECRET,
    redirect_uris: ['https://portal.example.cn/callback'],
    name: { 'zh-CN': '门户', en: 'Portal' },
    policy: { account_kinds: ['natural'] },
    ...extra,
  };
}

/** The message of the ClientsFileError that parsing `entries` throws. */
function parseError(entries: unknown[], env: NodeJS.ProcessEnv = {}, production = false): string {
  try {
    parseClients(entries, env, production);
  } catch (error) {
    expect(error).toBeInstanceOf(ClientsFileError);
    return (error as Error).message;
  }
  throw new Error('the entries parsed');
}

describe('relying parties from the clients file', () => {
  test('when the shipped config/clients.json is loaded, then it gives the two demo business systems, first-party, with their policies', () => {
    const registry = loadClientsFile(path.join(projectRoot, 'config/clients.json'), {}, false);
    expect(registry.metadata.map((m) => m.client_id).sort()).toEqual(['hightech', 'sme']);
    for (const metadata of registry.metadata) {
      expect(metadata.response_types).toEqual(['code']);
      expect(metadata.client_secret).toEqual(expect.any(String));
      expect(registry.relyingParties.get(metadata.client_id)?.firstParty).toBe(true);
    }
    expect(registry.relyingParties.get('hightech')?.name['zh-CN']).toBe('高新技术企业认定管理工作网');
  });

  test('when the shipped clients file is loaded in production, then it is refused (its localhost URIs are plain http)', () => {
    expect(() => loadClientsFile(path.join(projectRoot, 'config/clients.json'), {}, true)).toThrow(
      /clients\.json: entry 0 \(client_id "hightech"\): redirect and logout URIs must use https in production/,
    );
  });

  test('when a secret from the environment looks like a demo secret in production, then it is refused naming the variable', () => {
    const message = parseError(
      [entry({ client_secret: undefined, client_secret_env: 'PORTAL_SECRET' })],
      { PORTAL_SECRET: 'demo-portal-secret-change-me-0123456789' },
      true,
    );
    expect(message).toBe('entry 0 (client_id "portal"): client_secret_env: PORTAL_SECRET holds a demo secret');
  });

  test('when a redirect URI is not a URL, then the error names the entry and redirect_uris[0]', () => {
    expect(parseError([entry(), entry({ client_id: 'second', redirect_uris: ['not a url'] })])).toMatch(
      /^entry 1 \(client_id "second"\): redirect_uris\[0\]: /,
    );
  });

  test('when a redirect URI uses another scheme than http(s), then it is refused naming the field', () => {
    expect(parseError([entry({ redirect_uris: ['javascript://x/callback'] })])).toMatch(/^entry 0 \(client_id "portal"\): redirect_uris\[0\]: /);
  });

  test('when response_types asks for token, then the error names response_types and says only code is supported', () => {
    expect(parseError([entry({ response_types: ['token'] })])).toBe('entry 0 (client_id "portal"): response_types[0]: only "code" is supported');
  });

  test('when a confidential client has no secret at all, then the error names client_secret_env', () => {
    const { client_secret: _omitted, ...withoutSecret } = entry();
    expect(parseError([withoutSecret])).toMatch(/^entry 0 \(client_id "portal"\): client_secret_env: required/);
  });

  test('when client_secret_env names an unset variable, then the error names the entry, the field and the variable', () => {
    const message = parseError([entry({ client_secret: undefined, client_secret_env: 'PORTAL_SECRET' })], {});
    expect(message).toBe('entry 0 (client_id "portal"): client_secret_env: environment variable PORTAL_SECRET is not set');
  });

  test('when client_secret_env names a set variable, then its value becomes the secret', () => {
    const registry = parseClients([entry({ client_secret: undefined, client_secret_env: 'PORTAL_SECRET' })], { PORTAL_SECRET: SECRET.toUpperCase() }, false);
    expect(registry.metadata[0]!.client_secret).toBe(SECRET.toUpperCase());
  });

  test('when a literal secret is in the file in production, then it is refused naming client_secret', () => {
    const message = parseError([entry({ redirect_uris: ['https://portal.example.cn/callback'] })], {}, true);
    expect(message).toMatch(/^entry 0 \(client_id "portal"\): client_secret: .*production/);
  });

  test('when a client_id appears twice, then the second entry is named as the duplicate', () => {
    expect(parseError([entry(), entry({ name: { 'zh-CN': '另一个', en: 'Another' } })])).toBe('entry 1 (client_id "portal"): client_id: duplicate');
  });

  test('when entity_authorization_required is set for a client that admits no natural accounts, then the error names the policy field', () => {
    const message = parseError([entry({ policy: { account_kinds: ['legal'], entity_authorization_required: true } })]);
    expect(message).toMatch(/^entry 0 \(client_id "portal"\): policy\.entity_authorization_required: /);
  });

  test('when an entry has an unknown field, then it is refused naming the entry (typos do not pass silently)', () => {
    expect(parseError([entry({ redirect_uri: ['https://portal.example.cn/callback'] })])).toMatch(/^entry 0 \(client_id "portal"\): /);
  });

  test('when the file is not an array, then it is refused', () => {
    expect(() => parseClients({ clients: [] }, {}, false)).toThrow(ClientsFileError);
  });
});

describe('consent for relying parties that are not first-party', () => {
  let app: TestApp;
  const firstParty = new TestRelyingParty(unique('first'), 'rp-secret-0123456789-0123456789-6a');
  const thirdParty = new TestRelyingParty(unique('third'), 'rp-secret-0123456789-0123456789-6b');

  beforeAll(async () => {
    await Promise.all([firstParty.listen(), thirdParty.listen()]);
    app = await startTestApp({ clients: [firstParty.clientEntry(), thirdParty.clientEntry({ first_party: false })] });
    await Promise.all([firstParty.discover(app.url), thirdParty.discover(app.url)]);
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([firstParty.close(), thirdParty.close()]);
  });

  /** Signs in on the login page and stops at whatever page comes next. */
  async function loginThrough(rp: TestRelyingParty, scope = 'openid profile') {
    const natural = await createNaturalAccount(app);
    const agent = new UserAgent();
    const { request, page } = await rp.openAuthorization(agent, { scope });
    const next = await rp.submitLogin(agent, page, credentials(natural));
    return { natural, agent, request, next };
  }

  test('when a first-party client signs a user in, then no consent page is shown', async () => {
    const { natural, request, next } = await loginThrough(firstParty);
    // The login form's redirects lead straight back to the RP: no page in between.
    expect(next.url.startsWith(firstParty.redirectUri)).toBe(true);
    expect((await firstParty.callback(next.url, request)).claims()!.sub).toBe(natural.account.id);
  });

  test('when a client that is not first-party signs a user in, then the consent page names the client and the scopes, and approving completes the flow', async () => {
    const { natural, agent, request, next } = await loginThrough(thirdParty, 'openid profile phone');
    expect(next.status).toBe(200);
    expect(next.body).toContain('授权确认');
    expect(next.body).toContain(`测试系统 ${thirdParty.clientId}`);
    expect(next.body).toContain('姓名或单位名称、登录名');
    expect(next.body).toContain('预留手机号');

    const confirm = formAction(next.body, /\/confirm$/, next.url)!;
    const done = await agent.submit(confirm, { csrf: hiddenInput(next.body, 'csrf')! }, thirdParty.redirectUri);
    expect(done.url.startsWith(thirdParty.redirectUri)).toBe(true);
    const tokens = await thirdParty.callback(done.url, request);
    expect(tokens.claims()).toMatchObject({ sub: natural.account.id, preferred_username: natural.loginName });
    expect((await thirdParty.userinfo(tokens.access_token, natural.account.id)).phone_number).toBe(`+86${natural.account.mobile}`);

    // The consent is remembered: the next sign-in to that client goes straight through.
    const again = await thirdParty.openAuthorization(agent, { scope: 'openid profile phone' });
    expect(again.page.url.startsWith(thirdParty.redirectUri)).toBe(true);
  });

  test('when the user denies consent, then the RP receives error=access_denied and no code', async () => {
    const { agent, request, next } = await loginThrough(thirdParty);
    const abort = formAction(next.body, /\/abort$/, next.url)!;
    const done = await agent.submit(abort, { csrf: hiddenInput(next.body, 'csrf')! }, thirdParty.redirectUri);
    const callback = new URL(done.url);
    expect(`${callback.origin}${callback.pathname}`).toBe(thirdParty.redirectUri);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe(request.state);
    expect(callback.searchParams.get('iss')).toBe(app.url);
    expect(callback.searchParams.has('code')).toBe(false);
  });

  test('when the consent form is posted without its CSRF token, then it is refused with 403 and no code is issued', async () => {
    const { agent, next } = await loginThrough(thirdParty);
    const confirm = formAction(next.body, /\/confirm$/, next.url)!;
    const refused = await agent.request(confirm, { form: {} });
    expect(refused.status).toBe(403);
    expect(refused.location).toBeNull();
  });
});
