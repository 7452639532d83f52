import { startTestApp, unique, type TestApp } from '../support/test-app.js';

const system = (clientId: string, policy: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  client_id: clientId,
  client_secret: `${clientId}-secret-0123456789-0123456789`,
  redirect_uris: [`http://127.0.0.1:9/${clientId}/callback`],
  name: { 'zh-CN': `${clientId}系统`, en: `${clientId} system` },
  description: { 'zh-CN': `${clientId}的说明`, en: `About ${clientId}` },
  entry_url: `http://127.0.0.1:9/${clientId}/`,
  policy,
  ...extra,
});

describe('service items (服务事项 → 按用户)', () => {
  let app: TestApp;
  const legalOnly = unique('legalonly');
  const agents = unique('agents');
  const personal = unique('personal');

  beforeAll(async () => {
    app = await startTestApp({
      clients: [
        system(legalOnly, { account_kinds: ['legal'], real_name_required: true }),
        system(agents, { account_kinds: ['legal', 'natural'], real_name_required: true, entity_authorization_required: true }),
        system(personal, { account_kinds: ['natural'] }, { entry_url: undefined }),
      ],
    });
  });
  afterAll(() => app.close());

  const page = async (query = '', headers: Record<string, string> = {}) => {
    const response = await fetch(`${app.url}/services${query}`, { headers });
    return { status: response.status, html: await response.text() };
  };
  const names = (html: string) => [...html.matchAll(/class="service-item__name">([^<]+)</g)].map((m) => m[1]);

  test('when no kind is asked, then the legal entities list is shown: the systems whose policy admits legal accounts', async () => {
    const { status, html } = await page();
    expect(status).toBe(200);
    expect(names(html)).toEqual([`${legalOnly}系统`, `${agents}系统`]);
    expect(html).toContain('aria-current="page">法人单位');
    expect(html).toContain(`href="http://127.0.0.1:9/${legalOnly}/"`);
    expect(html).toContain('办理入口');
  });

  test('when natural persons are chosen, then their systems are listed, agents-only ones marked, and the portal is never an item', async () => {
    const { html } = await page('?user=natural');
    expect(names(html)).toEqual([`${agents}系统`, `${personal}系统`]);
    const agentsItem = html.slice(html.indexOf(`${agents}系统`), html.indexOf(`${personal}系统`));
    expect(agentsItem).toContain('需经单位授权代办');
    expect(agentsItem).toContain('需完成实名认证');
    // No entry URL configured: no entry button rather than a dead link.
    const personalItem = html.slice(html.indexOf(`${personal}系统`));
    expect(personalItem.split('</li>')[0]).not.toContain('办理入口');
    expect(html).not.toMatch(/>portal|统一身份认证门户/);
  });

  test('when the kind is not one we know, then the legal list is shown rather than an error', async () => {
    const { status, html } = await page('?user=%3Cscript%3E');
    expect(status).toBe(200);
    expect(html).not.toContain('<script>');
    expect(names(html)).toEqual([`${legalOnly}系统`, `${agents}系统`]);
  });

  test('when the page is read in English, then the systems have their English names and the FAQ answers show', async () => {
    const { html } = await page('?user=natural', { cookie: 'lang=en' });
    expect(names(html)).toEqual([`${agents} system`, `${personal} system`]);
    expect(html).toContain('Only as an authorized agent');
    expect(html).toContain('Where do I find the business systems');
  });

  test('when the FAQ is shown in Chinese, then it carries the guide\'s answer on where to find the business systems', async () => {
    const { html } = await page();
    expect(html).toContain('服务事项 — 按用户 — 法人单位');
  });
});
