/**
 * 登录名重置密码 in a real browser (headless Debian Chromium): from a business system's sign-in,
 * 忘记密码 → 登录名重置密码 → the login name looked up → reserved mobile, new password, the code
 * asked for in place and read from the development outbox → 确定 → 确定并跳转至政务服务平台 → back on
 * the same sign-in, which the new password completes (openid-client gets the tokens). Also a legal
 * account's form with a refused unit, and the pages on a phone (375 px).
 * Screenshots: test-artifacts/screenshots/recovery-*.png.
 */
import type { Page } from 'playwright-core';
import { createLegalAccount, createNaturalAccount } from '../support/accounts.js';
import { label, pageWidth, screenshot, submit, TestBrowser } from '../support/browser.js';
import { TestRelyingParty } from '../support/oidc-rp.js';
import { outboxCode } from '../support/sms-outbox.js';
import { startTestApp, unique, type TestApp } from '../support/test-app.js';

const CAPTCHA_ANSWER = 'e2p5';
const NEW_PASSWORD = 'Winter-Garden-2027';
const PHONE = { viewport: { width: 375, height: 812 } };

describe('password reset by login name in a real browser', () => {
  let app: TestApp;
  const browser = new TestBrowser();
  const rp = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-pw');

  beforeAll(async () => {
    await rp.listen();
    app = await startTestApp({
      clients: [rp.clientEntry()],
      // Other test files share the database and 127.0.0.1: keep their codes and failures from limiting ours.
      env: { CAPTCHA_TEST_ANSWER: CAPTCHA_ANSWER, ADDRESS_LOGIN_FAILURES: '100000', SMS_DAILY_PER_ADDRESS: '100000' },
    });
    await rp.discover(app.url);
    await browser.launch();
  }, 60_000);
  afterEach(() => browser.closeContexts());
  afterAll(async () => {
    await browser.close();
    await app?.close();
    await rp.close();
  });

  /** Step 1 of a new flow from the entry page: the login name looked up. */
  async function lookUp(page: Page, loginName: string) {
    await page.getByRole('link', { name: /登录名重置密码/ }).click();
    await page.getByRole('heading', { level: 1, name: '登录名重置密码' }).waitFor();
    await label(page, '登录名').fill(loginName);
    await label(page, '图形验证码').fill(CAPTCHA_ANSWER);
    await submit(page, '检索登录名');
    expect(await page.locator('[aria-current="step"]').textContent()).toContain('验证身份并设置新密码');
  }

  /** 获取验证码 in place, as a person does it: the captcha, the button, the note. */
  async function askForCode(page: Page) {
    await label(page, '图形验证码').fill(CAPTCHA_ANSWER);
    await page.getByRole('button', { name: '获取验证码', exact: true }).click();
    await page.locator('#smsCode-note').waitFor();
  }

  test('when a person resets from a business system\'s sign-in, then 确定并跳转至政务服务平台 returns to that sign-in and the new password completes it', async () => {
    const natural = await createNaturalAccount(app);
    const request = await rp.authorizationRequest();
    const page = await browser.newPage();
    await page.goto(request.url);
    await page.waitForURL(/\/interaction\/[^/?]+$/);
    const signIn = new URL(page.url()).pathname;

    await page.getByRole('link', { name: '忘记密码' }).click();
    await page.getByRole('heading', { level: 1, name: '忘记密码' }).waitFor();
    expect(new URL(page.url()).searchParams.get('return_to')).toBe(signIn);
    for (const way of ['自然人申诉找回密码', '单位法人用户申诉找回密码', '查询申诉进度']) {
      expect(await page.getByRole('link', { name: new RegExp(way) }).getAttribute('href')).toContain(`return_to=${encodeURIComponent(signIn)}`);
    }
    await screenshot(page, 'recovery-entry.png');

    await page.getByRole('link', { name: /登录名重置密码/ }).click();
    await page.getByRole('heading', { level: 1, name: '登录名重置密码' }).waitFor();
    expect(await page.locator('[aria-current="step"]').textContent()).toContain('检索登录名');
    // 换一张 replaces the captcha in place.
    const firstCaptcha = await page.locator('input[name="captchaId"]').inputValue();
    await page.getByRole('link', { name: '看不清？换一张' }).click();
    const captchaId = page.locator('input[name="captchaId"]');
    for (let tries = 0; tries < 40 && (await captchaId.inputValue()) === firstCaptcha; tries += 1) await page.waitForTimeout(100);
    expect(await captchaId.inputValue()).not.toBe(firstCaptcha);
    await screenshot(page, 'recovery-lookup.png');
    await label(page, '登录名').fill(natural.loginName);
    await label(page, '图形验证码').fill(CAPTCHA_ANSWER);
    await submit(page, '检索登录名');

    expect(await page.locator('[aria-current="step"]').textContent()).toContain('验证身份并设置新密码');
    expect(await page.getByText(`登录名：${natural.loginName}`).isVisible()).toBe(true);
    await label(page, '预留手机号').fill(natural.account.mobile);
    await label(page, '新密码').fill('abc');
    expect(await page.locator('[data-strength-meter]').getAttribute('data-strength')).toBe('weak');
    await label(page, '新密码').fill(NEW_PASSWORD);
    expect(await page.locator('[data-strength-text]').textContent()).toBe('强');
    await label(page, '确认新密码').fill(NEW_PASSWORD);
    await askForCode(page);
    expect(await page.locator('#smsCode-note').textContent()).toContain('若手机号为该账号的预留手机号，验证码已发送');
    // Asked in place: what was typed stays, the passwords too.
    expect(await label(page, '新密码').inputValue()).toBe(NEW_PASSWORD);
    await label(page, '短信验证码').fill(await outboxCode(app, natural.account.mobile));
    await screenshot(page, 'recovery-verify.png');
    await submit(page, '确定');

    expect(await page.locator('[aria-current="step"]').textContent()).toContain('完成');
    expect(await page.getByRole('status').textContent()).toContain(`登录名 ${natural.loginName} 的密码已重置`);
    await screenshot(page, 'recovery-done.png');
    await page.getByRole('link', { name: '确定并跳转至政务服务平台' }).click();
    await page.waitForURL((url) => url.pathname === signIn);

    const window = page.getByRole('tabpanel', { name: '自然人登录', exact: true });
    await window.getByLabel('登录名').fill(natural.loginName);
    await window.getByLabel('密码').fill(NEW_PASSWORD);
    await window.getByRole('button', { name: '登录', exact: true }).click();
    await page.waitForURL((url) => url.href.startsWith(rp.redirectUri));
    const tokens = await rp.callback(page.url(), request);
    expect(tokens.claims()!.sub).toBe(natural.account.id);
    expect(tokens.access_token).toEqual(expect.any(String));
  });

  test('when a unit\'s form is sent with a wrong unit name, then the one mismatch message shows above the form and what was typed stays, passwords excepted', async () => {
    const legal = await createLegalAccount(app);
    const page = await browser.newPage();
    await page.goto(`${app.url}/recovery`);
    await lookUp(page, legal.loginName);
    await label(page, '预留手机号').fill(legal.account.mobile);
    await label(page, '单位名称').fill('另一家科技有限公司');
    await label(page, '统一社会信用代码').fill(legal.account.legal!.uscc!);
    await label(page, '新密码').fill(NEW_PASSWORD);
    await label(page, '确认新密码').fill(NEW_PASSWORD);
    await askForCode(page);
    await label(page, '短信验证码').fill(await outboxCode(app, legal.account.mobile));
    await submit(page, '确定');
    expect(await page.locator('.alert--error').textContent()).toBe('手机号、单位信息或验证码不正确，请核对后重试。如验证码已过期或多次输错，请重新获取。');
    expect(await label(page, '单位名称').inputValue()).toBe('另一家科技有限公司');
    expect(await label(page, '预留手机号').inputValue()).toBe(legal.account.mobile);
    expect(await label(page, '新密码').inputValue()).toBe('');
    await screenshot(page, 'recovery-verify-legal.png');
  });

  test('when a flow is gone (made up, expired or another browser\'s), then a page says so and 重新找回密码 starts a new one; in English too', async () => {
    const page = await browser.newPage();
    const response = await page.goto(`${app.url}/recovery/reset/00000000-0000-4000-8000-000000000000`);
    expect(response!.status()).toBe(404);
    expect(await page.getByRole('alert').textContent()).toBe('找回密码页面已过期或无效，请重新开始。');
    await screenshot(page, 'recovery-flow-gone.png');
    await page.getByRole('link', { name: '重新找回密码' }).click();
    await page.getByRole('heading', { level: 1, name: '登录名重置密码' }).waitFor();
    expect(page.url()).toMatch(/\/recovery\/reset\/[0-9a-f-]{36}$/);

    await page.goto(`${app.url}/recovery?lang=en`);
    await page.getByRole('heading', { level: 1, name: 'Forgot password' }).waitFor();
    await page.getByRole('link', { name: /Reset by login name/ }).click();
    await page.getByLabel(/^Login name/).fill(unique('nobody'));
    await page.getByLabel(/^Image code/).fill(CAPTCHA_ANSWER);
    await submit(page, 'Look up');
    await page.getByLabel(/^Reserved mobile/).waitFor();
    await screenshot(page, 'recovery-verify-en.png');
  });

  test('when the pages are opened on a phone, then nothing scrolls sideways and the fields keep a finger-sized height', async () => {
    const legal = await createLegalAccount(app);
    const page = await browser.newPage(PHONE);
    await page.goto(`${app.url}/recovery`);
    await page.getByRole('heading', { level: 1, name: '忘记密码' }).waitFor();
    expect(await pageWidth(page)).toBeLessThanOrEqual(375);
    await screenshot(page, 'recovery-entry-375.png');
    await lookUp(page, legal.loginName);
    expect(await pageWidth(page)).toBeLessThanOrEqual(375);
    for (const field of ['预留手机号', '单位名称', '统一社会信用代码', '短信验证码', '新密码']) {
      expect((await label(page, field).boundingBox())!.height).toBeGreaterThanOrEqual(44);
    }
    await screenshot(page, 'recovery-verify-375.png');
  });
});
