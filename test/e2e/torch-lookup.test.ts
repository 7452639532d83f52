/**
 * 火炬中心账号检索 in a real browser (headless Debian Chromium): an enterprise kept at its USCC (E1)
 * looks itself up from the portal home and signs in at the legal window the answer links to; a
 * person whose mobile was taken (P3) comes from the login page, proves the mobile with the code
 * asked for in place (read from the development outbox), and signs in as HJ_ + mobile at the
 * natural window. Both on a phone too (375 px). Screenshots: test-artifacts/screenshots/torch-lookup-*.png.
 */
import type { Page } from 'playwright-core';
import { createLegalAccount, createNaturalAccount, uniqueUscc } from '../support/accounts.js';
import { screenshot, TestBrowser } from '../support/browser.js';
import { startTestApp, uniqueMobile, type TestApp } from '../support/test-app.js';
import { insertTorchOutcome } from '../support/torch.js';

const CAPTCHA_ANSWER = 't7ch';
const PHONE = { width: 375, height: 812 };

describe('火炬中心账号检索 in a real browser', () => {
  let app: TestApp;
  const browser = new TestBrowser();

  beforeAll(async () => {
    // Other test files share the database and 127.0.0.1: keep their codes and failures from limiting ours.
    app = await startTestApp({ env: { CAPTCHA_TEST_ANSWER: CAPTCHA_ANSWER, ADDRESS_LOGIN_FAILURES: '100000', SMS_DAILY_PER_ADDRESS: '100000' } });
    await browser.launch();
  }, 60_000);
  afterEach(() => browser.closeContexts());
  afterAll(async () => {
    await browser.close();
    await app?.close();
  });

  const pageWidth = async (page: Page) => Number(await page.evaluate('document.scrollingElement.scrollWidth'));
  const label = (page: Page, text: string) => page.getByLabel(new RegExp(`^${text}\\s*\\*?$`));
  const submit = (page: Page, name: string) => Promise.all([page.waitForEvent('load'), page.getByRole('button', { name, exact: true }).click()]);

  async function latestCode(mobile: string): Promise<string> {
    const [message] = await app.context.smsOutbox.recent({ mobile, limit: 1 });
    const code = /验证码 (\d{6})/.exec(message?.text ?? '')?.[1];
    if (!code) throw new Error(`no code in the outbox for ${mobile}`);
    return code;
  }

  async function signIn(page: Page, window: '自然人登录' | '法人登录', loginName: string, password: string) {
    const form = page.getByRole('tabpanel', { name: window, exact: true });
    await form.waitFor();
    expect(await page.getByRole('tab', { name: window, exact: true }).getAttribute('aria-selected')).toBe('true');
    await form.getByLabel('登录名').fill(loginName);
    await form.getByLabel('密码').fill(password);
    await form.getByRole('button', { name: '登录', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: '我的信息' }).waitFor();
  }

  test('when an enterprise kept at its USCC (E1) looks itself up from the portal home, then it signs in with the USCC at the legal window the answer links to', async () => {
    const uscc = uniqueUscc();
    // The legacy password is another engineer's part: this account signs in with a normal one.
    const migrated = await createLegalAccount(app, { loginName: uscc, uscc });
    await insertTorchOutcome(app, { kind: 'enterprise', legacyLogin: uscc, case: 'E1', accountId: migrated.account.id, loginName: uscc, window: 'legal' });

    const page = await browser.newPage();
    await page.goto(`${app.url}/`);
    await page.getByRole('link', { name: '火炬中心账号检索' }).click();
    await page.getByRole('heading', { level: 1, name: '火炬中心账号检索' }).waitFor();
    expect(await page.getByRole('link', { name: '企业账号' }).getAttribute('aria-current')).toBe('page');
    await label(page, '统一社会信用代码').fill(uscc.toLowerCase());
    await label(page, '图形验证码').fill(CAPTCHA_ANSWER);
    await screenshot(page, 'torch-lookup-enterprise-form.png');
    await submit(page, '检索');

    await page.getByRole('heading', { level: 1, name: '检索结果' }).waitFor();
    const answer = page.locator('#answer');
    expect(await answer.getByRole('heading').textContent()).toBe('继续使用原火炬中心账号和密码');
    expect(await answer.textContent()).toContain(`继续使用原火炬中心用户名（统一社会信用代码）${uscc} 和密码`);
    expect(await page.locator('#answer-login-name').textContent()).toBe(uscc);
    expect(await page.locator('#answer-window').textContent()).toBe('法人登录');
    expect(await page.locator('#answer-password').textContent()).toBe('原火炬中心密码（密码不变）');
    await screenshot(page, 'torch-lookup-enterprise.png');
    await page.setViewportSize(PHONE);
    expect(await pageWidth(page)).toBeLessThanOrEqual(PHONE.width);
    await screenshot(page, 'torch-lookup-enterprise-phone.png');
    await page.setViewportSize({ width: 1280, height: 860 });

    await page.getByRole('link', { name: '前往法人登录' }).click();
    await signIn(page, '法人登录', uscc, migrated.password);
  });

  test('when a person whose mobile was taken (P3) comes from the login page and proves the mobile, then the answer names HJ_ + mobile and that name signs in at the natural window, on a phone', async () => {
    const mobile = uniqueMobile();
    await createNaturalAccount(app, { loginName: mobile });
    const migrated = await createNaturalAccount(app, { loginName: `HJ_${mobile}`, mobile });
    await insertTorchOutcome(app, { kind: 'personal', legacyLogin: mobile, case: 'P3', accountId: migrated.account.id, loginName: `HJ_${mobile}`, window: 'natural' });

    const page = await browser.newPage({ viewport: PHONE });
    await page.goto(`${app.url}/portal/login?login_type=natural`);
    await page.waitForURL(/\/interaction\/[^/?]+/);
    await page.getByRole('link', { name: '原火炬中心用户：火炬中心账号检索' }).click();
    await page.getByRole('link', { name: '个人账号' }).click();
    await page.getByRole('heading', { level: 1, name: '火炬中心账号检索' }).waitFor();
    expect(await page.getByRole('link', { name: '个人账号' }).getAttribute('aria-current')).toBe('page');

    // 检索 before the code: the answer waits for the proof.
    await label(page, '手机号').fill(mobile);
    await submit(page, '检索');
    expect(await page.locator('#smsCode-note').textContent()).toBe('请输入短信验证码');
    expect(await page.locator('#answer').count()).toBe(0);
    expect(await label(page, '手机号').inputValue()).toBe(mobile);
    await screenshot(page, 'torch-lookup-personal-errors-phone.png');

    await label(page, '图形验证码').fill(CAPTCHA_ANSWER);
    await page.getByRole('button', { name: '获取验证码', exact: true }).click();
    await page.locator('#smsCode-note.field__ok').waitFor();
    await label(page, '短信验证码').fill(await latestCode(mobile));
    expect(await pageWidth(page)).toBeLessThanOrEqual(PHONE.width);
    await screenshot(page, 'torch-lookup-personal-form-phone.png');
    await submit(page, '检索');

    await page.getByRole('heading', { level: 1, name: '检索结果' }).waitFor();
    expect(await page.locator('#answer').getByRole('heading').textContent()).toBe('自然人账号登录名为“HJ_”加手机号');
    expect(await page.locator('#answer-login-name').textContent()).toBe(`HJ_${mobile}`);
    expect(await page.locator('#answer-window').textContent()).toBe('自然人登录');
    expect(await page.getByText(`手机号：${mobile.slice(0, 3)}****${mobile.slice(-4)}`).isVisible()).toBe(true);
    expect(await pageWidth(page)).toBeLessThanOrEqual(PHONE.width);
    await screenshot(page, 'torch-lookup-personal-phone.png');
    await page.setViewportSize({ width: 1280, height: 860 });
    await screenshot(page, 'torch-lookup-personal.png');

    await page.getByRole('link', { name: '前往自然人登录' }).click();
    await signIn(page, '自然人登录', `HJ_${mobile}`, migrated.password);
  });
});
