/**
 * 授权代办人 in a real browser (headless Debian Chromium): a verified legal account goes from My
 * Information to 授权代办人, adds a natural account as its agent (captcha, SMS code read from the
 * development outbox), sees it listed, and revokes it after the confirmation; the agent's own
 * 我代办的单位. Screenshots: test-artifacts/screenshots/agents-*.png, at desktop and 375 px width.
 */
import type { Page } from 'playwright-core';
import { createLegalAccount, createNaturalAccount, type CreatedAccount } from '../support/accounts.js';
import { pageWidth, screenshot, submit, TestBrowser } from '../support/browser.js';
import { uniqueName } from '../support/identities.js';
import { TestRelyingParty } from '../support/oidc-rp.js';
import { outboxCode } from '../support/sms-outbox.js';
import { startTestApp, unique, type TestApp } from '../support/test-app.js';

const CAPTCHA_ANSWER = 'e2a7';

describe('授权代办人 in a real browser', () => {
  let app: TestApp;
  const browser = new TestBrowser();
  const hightech = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-ea');
  const sme = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-eb');

  beforeAll(async () => {
    await Promise.all([hightech.listen(), sme.listen()]);
    app = await startTestApp({
      clients: [
        hightech.clientEntry({ name: { 'zh-CN': '高新技术企业认定管理工作网', en: 'High-tech Enterprise Recognition' } }),
        sme.clientEntry({ name: { 'zh-CN': '科技型中小企业评价系统', en: 'Tech-based SME Evaluation' } }),
      ],
      // Other test files share the database and 127.0.0.1: keep their failures and codes from limiting ours.
      env: { CAPTCHA_TEST_ANSWER: CAPTCHA_ANSWER, ADDRESS_LOGIN_FAILURES: '100000', SMS_DAILY_PER_ADDRESS: '100000' },
    });
    await browser.launch();
  }, 60_000);
  afterEach(() => browser.closeContexts());
  afterAll(async () => {
    await browser.close();
    await app?.close();
    await Promise.all([hightech.close(), sme.close()]);
  });

  async function signIn(page: Page, user: CreatedAccount) {
    await page.goto(`${app.url}/portal/me`);
    const window = user.window === 'legal' ? '法人登录' : '自然人登录';
    await page.getByRole('tab', { name: window }).click();
    const form = page.getByRole('tabpanel', { name: window, exact: true });
    await form.getByLabel('登录名').fill(user.loginName);
    await form.getByLabel('密码').fill(user.password);
    await form.getByRole('button', { name: '登录', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: '我的信息' }).waitFor();
  }

  test('when a verified unit adds an agent with the SMS code, then it is listed, and revoking it after the confirmation empties the list', async () => {
    const entity = await createLegalAccount(app, { realNameVerified: true, orgName: `北京测试科技有限公司${unique('')}` });
    const name = uniqueName();
    const person = await createNaturalAccount(app, { name, realNameVerified: true });
    const page = await browser.newPage();
    await signIn(page, entity);
    await page.getByRole('link', { name: '授权代办人' }).click();
    await page.getByRole('heading', { level: 1, name: '授权代办人' }).waitFor();
    await screenshot(page, 'agents-form.png');

    // The wrong name first: the answer does not say which of the two was wrong.
    await page.getByLabel(/^代办人登录名/).fill(person.loginName);
    await page.getByLabel(/^代办人姓名/).fill(uniqueName());
    await page.getByRole('radio', { name: '部分业务系统（在下面勾选）' }).check();
    await page.getByLabel('高新技术企业认定管理工作网').check();
    await page.getByLabel('图形验证码', { exact: true }).fill(CAPTCHA_ANSWER);
    await submit(page, '获取验证码');
    expect(await page.locator('#agent-error').textContent()).toBe('没有与该登录名和姓名都一致的自然人账号，请核对后重新输入');
    expect(await page.getByLabel(/^代办人姓名/).getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('高新技术企业认定管理工作网').isChecked()).toBe(true);
    await screenshot(page, 'agents-errors.png');

    await page.getByLabel(/^代办人姓名/).fill(name);
    await page.getByLabel('图形验证码', { exact: true }).fill(CAPTCHA_ANSWER);
    await submit(page, '获取验证码');
    await page.getByText('验证码已发送至本单位的预留手机号').waitFor();
    await page.getByLabel('短信验证码').fill(await outboxCode(app, entity.account.mobile));
    await submit(page, '确认授权');
    await page.getByText('授权已保存').waitFor();

    const item = page.locator('.grant', { hasText: person.loginName });
    expect(await item.textContent()).toContain('高新技术企业认定管理工作网');
    expect(await item.textContent()).toContain('生效中');
    expect(await item.textContent()).toContain(`${name[0]}**`);
    expect(await item.textContent()).not.toContain('科技型中小企业评价系统');
    await screenshot(page, 'agents-listed.png');

    await page.setViewportSize({ width: 375, height: 812 });
    expect(await pageWidth(page)).toBeLessThanOrEqual(375);
    await screenshot(page, 'agents-phone.png');
    await page.setViewportSize({ width: 1280, height: 860 });

    await page.getByRole('link', { name: `撤销 ${person.loginName} 的授权` }).click();
    await page.getByRole('heading', { level: 1, name: '撤销授权' }).waitFor();
    expect(await page.getByText(`（${person.loginName}）的授权吗？`).isVisible()).toBe(true);
    await screenshot(page, 'agents-revoke.png');
    await submit(page, '确认撤销');
    await page.getByText('授权已撤销').waitFor();
    expect(await page.getByText('尚未授权任何代办人。').isVisible()).toBe(true);
    expect(await page.locator('.grant').count()).toBe(0);
    await screenshot(page, 'agents-revoked.png');
  });

  test('when an unverified unit opens 授权代办人, then it reads why it cannot authorize yet, also on a phone', async () => {
    const entity = await createLegalAccount(app);
    const page = await browser.newPage({ viewport: { width: 375, height: 812 } });
    await signIn(page, entity);
    await page.getByRole('link', { name: '授权代办人' }).click();
    await page.getByRole('heading', { name: '本单位尚未完成实名认证，暂不能授权代办人' }).waitFor();
    expect(await page.getByRole('link', { name: '前往“我的信息”完成实名认证' }).isVisible()).toBe(true);
    expect(await pageWidth(page)).toBeLessThanOrEqual(375);
    await screenshot(page, 'agents-unverified-phone.png');
  });

  test('when an agent opens 我代办的单位, then the unit is listed with its systems, waiting for the agent’s verification, also on a phone', async () => {
    const entity = await createLegalAccount(app, { realNameVerified: true, orgName: `上海示例研究院${unique('')}` });
    const person = await createNaturalAccount(app, { name: uniqueName() });
    await app.context.authorizations.grant({ legalAccountId: entity.account.id, agentAccountId: person.account.id, systems: 'all', origin: 'portal', grantedBy: entity.account.id });
    const page = await browser.newPage();
    await signIn(page, person);
    await page.getByRole('link', { name: '我代办的单位' }).click();
    await page.getByRole('heading', { level: 1, name: '我代办的单位' }).waitFor();
    const item = page.locator('.grant', { hasText: entity.account.legal!.orgName });
    expect(await item.textContent()).toContain('全部业务系统');
    expect(await item.textContent()).toContain('待您完成实名认证后生效');
    await screenshot(page, 'agents-entities.png');
    await page.setViewportSize({ width: 375, height: 812 });
    expect(await pageWidth(page)).toBeLessThanOrEqual(375);
    await screenshot(page, 'agents-entities-phone.png');
  });
});
