import { TestRelyingParty } from '../support/oidc-rp.js';
import { startTestApp, unique, type TestApp } from '../support/test-app.js';
import { UserAgent } from '../support/user-agent.js';

describe('public pages and the login captcha service', () => {
  let app: TestApp;
  const rp = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-01');

  beforeAll(async () => {
    await rp.listen();
    app = await startTestApp({ clients: [rp.clientEntry()], env: { TRUST_PROXY: 'true' } });
    await rp.discover(app.url);
  });
  afterAll(async () => {
    await app?.close();
    await rp.close();
  });

  test('when the help page is opened, then it answers the guide\'s questions in zh-CN, and in English with ?lang=en', async () => {
    const agent = new UserAgent();
    const zh = await agent.request(`${app.url}/help`);
    expect(zh.status).toBe(200);
    expect(zh.body).toContain('登录时提示登录名或密码错误怎么办？');
    expect(zh.body).toContain('服务事项 — 按用户 — 法人单位');
    expect(zh.body).toContain('010-88659000');
    const en = await agent.request(`${app.url}/help?lang=en`);
    expect(en.body).toContain('How does a legal entity get real-name verified?');
    // The choice is remembered for the next page.
    expect((await agent.request(`${app.url}/`)).body).toContain('Online services');
  });

  test('when a path does not exist, then the 404 page is ours, in the user\'s language, and JSON clients get JSON', async () => {
    const page = await new UserAgent().request(`${app.url}/no-such-page`);
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.body).toContain('页面不存在');
    const json = await new UserAgent({ accept: 'application/json' }).request(`${app.url}/no-such-page`);
    expect(JSON.parse(json.body)).toMatchObject({ error: 'error.not_found', error_description: '页面不存在' });
  });

  test('when the login page asks for another captcha, then each call gives a new stored challenge, limited per address', async () => {
    const agent = new UserAgent({ 'x-forwarded-for': `127.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}` });
    const { url } = await rp.authorizationRequest();
    const page = await agent.follow(url);
    const uid = /\/interaction\/([^/?]+)/.exec(page.url)![1];

    const first = JSON.parse((await agent.request(`${app.url}/interaction/${uid}/captcha`)).body);
    const second = JSON.parse((await agent.request(`${app.url}/interaction/${uid}/captcha`)).body);
    expect(first.id).not.toBe(second.id);
    expect(first.imageDataUrl).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(await app.context.db('captchas').whereIn('id', [first.id, second.id]).count({ n: '*' })).toEqual([{ n: '2' }]);

    let status = 200;
    for (let i = 0; i < 40 && status === 200; i += 1) status = (await agent.request(`${app.url}/interaction/${uid}/captcha`)).status;
    expect(status).toBe(429);
  });

  test('when the no-JavaScript "show another" link is followed, then the login page shows a captcha', async () => {
    const agent = new UserAgent();
    const { url } = await rp.authorizationRequest();
    const page = await agent.follow(url);
    expect(page.body).not.toContain('name="captchaId"');
    const again = await agent.request(`${page.url}?window=natural&captcha=1`);
    expect(again.body).toContain('name="captchaId"');
    expect(again.body).toContain('data:image/svg+xml;base64,');
  });

  test('when the OP shows its own error page, then it offers the language switch back to the same request', async () => {
    const { url } = await rp.authorizationRequest({ redirect_uri: 'https://evil.example/callback' });
    const page = await new UserAgent().request(url);
    expect(page.status).toBe(400);
    const href = /class="lang-switch" href="([^"]+)"/.exec(page.body)?.[1]?.replace(/&amp;/g, '&');
    expect(href).toContain('lang=en');
    const english = await new UserAgent().request(new URL(href!, app.url).href);
    expect(english.body).toContain('not registered');
  });
});
