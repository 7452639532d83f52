/** The portal in a real browser: sign in from the home page, edit My Information, sign out. */
import { createNaturalAccount } from '../support/accounts.js';
import { uniqueResidentId } from '../support/identities.js';
import { screenshot, TestBrowser } from '../support/browser.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('the portal in a real browser', () => {
  let app: TestApp;
  const browser = new TestBrowser();

  beforeAll(async () => {
    app = await startTestApp({ env: { ADDRESS_LOGIN_FAILURES: '100000' } });
    await browser.launch();
  }, 60_000);
  afterEach(() => browser.closeContexts());
  afterAll(async () => {
    await browser.close();
    await app?.close();
  });

  test('when a person signs in from the home page and saves My Information, then the page shows the saved data and the real-name status', async () => {
    const user = await createNaturalAccount(app);
    const page = await browser.newPage();
    await page.goto(`${app.url}/`);
    await screenshot(page, 'portal-home.png');
    await page.getByRole('link', { name: '自然人登录' }).click();
    const form = page.getByRole('tabpanel', { name: '自然人登录', exact: true });
    await form.getByLabel('登录名').fill(user.loginName);
    await form.getByLabel('密码').fill(user.password);
    await form.getByRole('button', { name: '登录', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: '我的信息' }).waitFor();
    expect(await page.getByRole('status').first().textContent()).toContain('未实名认证');

    await page.getByLabel('性别').selectOption('male');
    await page.getByLabel('职务').fill('研究员');
    await page.getByLabel('电子邮箱').fill('bad-address');
    await page.getByRole('button', { name: '保存' }).click();
    await page.getByText('请输入正确的电子邮箱').waitFor();
    expect(await page.getByLabel('职务').inputValue()).toBe('研究员');
    await screenshot(page, 'my-information-errors.png');

    await page.getByLabel('电子邮箱').fill('zhang@example.cn');
    await page.getByRole('button', { name: '保存' }).click();
    await page.getByText('个人信息已保存').waitFor();
    expect(await page.getByLabel('职务').inputValue()).toBe('研究员');
    await screenshot(page, 'my-information.png');

    await page.setViewportSize({ width: 375, height: 812 });
    expect(Number(await page.evaluate('document.scrollingElement.scrollWidth'))).toBeLessThanOrEqual(375);
    await screenshot(page, 'my-information-phone.png');
  });

  test('when a verified person opens My Information, then the identity is shown read-only with 已实名认证', async () => {
    const documentNumber = uniqueResidentId();
    const user = await createNaturalAccount(app, { realNameVerified: true, documentNumber });
    const page = await browser.newPage();
    await page.goto(`${app.url}/portal/me`);
    const form = page.getByRole('tabpanel', { name: '自然人登录', exact: true });
    await form.getByLabel('登录名').fill(user.loginName);
    await form.getByLabel('密码').fill(user.password);
    await form.getByRole('button', { name: '登录', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: '我的信息' }).waitFor();
    expect(await page.getByRole('status').first().textContent()).toContain('已实名认证');
    expect(await page.getByText(`${documentNumber.slice(0, 3)}***********${documentNumber.slice(-4)}`).isVisible()).toBe(true);
    expect(await page.getByLabel('证件号码').count()).toBe(0);
    await screenshot(page, 'my-information-verified.png');
  });

  test('when a visitor follows 服务事项 → 按用户 → 自然人 from the home page, then the systems show with their 办理入口, also on a phone', async () => {
    const page = await browser.newPage();
    await page.goto(`${app.url}/`);
    await page.getByRole('link', { name: '自然人', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: '服务事项' }).waitFor();
    expect(await page.getByRole('link', { name: '自然人', exact: true }).getAttribute('aria-current')).toBe('page');
    const entries = page.getByRole('link', { name: /^办理入口/ });
    expect(await entries.count()).toBeGreaterThan(0);
    expect(await page.getByText('需经单位授权代办').first().isVisible()).toBe(true);
    await screenshot(page, 'service-items.png');
    await page.setViewportSize({ width: 375, height: 812 });
    expect(Number(await page.evaluate('document.scrollingElement.scrollWidth'))).toBeLessThanOrEqual(375);
    await screenshot(page, 'service-items-phone.png');
  });
});
