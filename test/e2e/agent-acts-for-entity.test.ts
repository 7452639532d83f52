/**
 * Issue 4's whole path in a real browser: a verified unit names a person as its agent for the SME
 * evaluation system on 授权代办人 (SMS code from the development outbox); the person signs in to
 * that system and lands there acting for the unit (act_for in the ID token, checked by
 * openid-client); the high-tech system, not in the authorization, refuses the person; once the
 * unit revokes, the SME system refuses too. Both systems carry the shipped policy.
 * Screenshots: test-artifacts/screenshots/agent-acts-*.png.
 */
import type { Page } from 'playwright-core';
import { createLegalAccount, createNaturalAccount, type CreatedAccount } from '../support/accounts.js';
import { heading, screenshot, signInAtWindow, submit, TestBrowser } from '../support/browser.js';
import { uniqueName, uniqueResidentId } from '../support/identities.js';
import { TestRelyingParty } from '../support/oidc-rp.js';
import { outboxCode } from '../support/sms-outbox.js';
import { startTestApp, unique, type TestApp } from '../support/test-app.js';

const CAPTCHA_ANSWER = 'a7e4';
const SHIPPED_POLICY = { account_kinds: ['legal', 'natural'], real_name_required: true, entity_authorization_required: true };

describe('a unit authorizes an agent, who then signs in to the SME system acting for it', () => {
  let app: TestApp;
  const browser = new TestBrowser();
  const hightech = new TestRelyingParty(unique('hightech'), 'rp-secret-0123456789-0123456789-ha');
  const sme = new TestRelyingParty(unique('sme'), 'rp-secret-0123456789-0123456789-sa');

  beforeAll(async () => {
    await Promise.all([hightech.listen(), sme.listen()]);
    app = await startTestApp({
      clients: [
        hightech.clientEntry({ name: { 'zh-CN': '高新技术企业认定管理工作网', en: 'High-tech Enterprise Recognition' }, policy: SHIPPED_POLICY }),
        sme.clientEntry({ name: { 'zh-CN': '科技型中小企业评价系统', en: 'Tech-based SME Evaluation' }, policy: SHIPPED_POLICY }),
      ],
      env: { CAPTCHA_TEST_ANSWER: CAPTCHA_ANSWER, ADDRESS_LOGIN_FAILURES: '100000', SMS_DAILY_PER_ADDRESS: '100000' },
    });
    await Promise.all([hightech.discover(app.url), sme.discover(app.url)]);
    await browser.launch();
  }, 60_000);
  afterEach(() => browser.closeContexts());
  afterAll(async () => {
    await browser.close();
    await app?.close();
    await Promise.all([hightech.close(), sme.close()]);
  });

  async function signIn(page: Page, user: CreatedAccount) {
    const window = user.window === 'legal' ? '法人登录' : '自然人登录';
    await page.getByRole('tab', { name: window }).click();
    await signInAtWindow(page, window, user.loginName, user.password);
  }

  /** The person signs in to a system in a fresh browser; resolves with the page where it ended. */
  async function agentSignsInTo(rp: TestRelyingParty, agent: CreatedAccount) {
    // offline_access + prompt=consent: a refresh token, to see it end with the authorization.
    const request = await rp.authorizationRequest({ scope: 'openid profile org offline_access', prompt: 'consent' });
    const page = await browser.newPage();
    await page.goto(request.url);
    await signIn(page, agent);
    return { page, request };
  }

  test('when the unit authorizes the person for the SME system, then the person signs in there acting for it, not to the high-tech system, and no longer once revoked', async () => {
    const orgName = `${uniqueName()}智能科技有限公司`;
    const unit = await createLegalAccount(app, { orgName, realNameVerified: true });
    const name = uniqueName();
    const agent = await createNaturalAccount(app, { name, documentNumber: uniqueResidentId(), realNameVerified: true });

    // The unit, on its My Information → 授权代办人.
    const unitPage = await browser.newPage();
    await unitPage.goto(`${app.url}/portal/me`);
    await signIn(unitPage, unit);
    await heading(unitPage, '我的信息');
    await Promise.all([unitPage.waitForEvent('load'), unitPage.getByRole('link', { name: '授权代办人' }).click()]);
    await unitPage.getByLabel(/^代办人登录名/).fill(agent.loginName);
    await unitPage.getByLabel(/^代办人姓名/).fill(name);
    await unitPage.getByRole('radio', { name: '部分业务系统（在下面勾选）' }).check();
    await unitPage.getByLabel('科技型中小企业评价系统').check();
    await unitPage.getByLabel('图形验证码', { exact: true }).fill(CAPTCHA_ANSWER);
    await submit(unitPage, '获取验证码');
    await unitPage.getByLabel('短信验证码').fill(await outboxCode(app, unit.account.mobile));
    await submit(unitPage, '确认授权');
    await unitPage.getByText('授权已保存').waitFor();
    await screenshot(unitPage, 'agent-acts-authorized.png');

    // The person, at the SME system: one effective authorization, so no picker; act_for in the ID token.
    const atSme = await agentSignsInTo(sme, agent);
    await atSme.page.waitForURL((url) => url.href.startsWith(sme.redirectUri));
    const tokens = await sme.callback(atSme.page.url(), atSme.request);
    expect(tokens.claims()).toMatchObject({
      sub: agent.account.id,
      account_type: 'natural',
      act_for: { uscc: unit.account.legal!.uscc, org_name: orgName, authorized_systems: [sme.clientId] },
    });

    // The high-tech system is not in the authorization: refused, with the page that explains agents.
    const atHightech = await agentSignsInTo(hightech, agent);
    await heading(atHightech.page, '无法登录该系统');
    await screenshot(atHightech.page, 'agent-acts-refused.png');

    // The unit revokes; the person's refresh token and next sign-in at the SME system stop working.
    await Promise.all([unitPage.waitForEvent('load'), unitPage.getByRole('link', { name: `撤销 ${agent.loginName} 的授权` }).click()]);
    await submit(unitPage, '确认撤销');
    await unitPage.getByText('授权已撤销').waitFor();
    await expect(sme.refresh(tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const again = await agentSignsInTo(sme, agent);
    await heading(again.page, '无法登录该系统');
  });
});
