/**
 * Sign-in with the one-time credential of an approved appeal in a real browser (headless Debian
 * Chromium): from a business system's sign-in, the credential in the password field leads to
 * 设置新密码; a weak password is refused beside its field, a good one completes the same sign-in at
 * the system. On a phone (375 px): the page without horizontal scrolling, and the page of a
 * credential that expired while it was open. Screenshots: test-artifacts/screenshots/credential-*.png.
 */
import type { Page } from 'playwright-core';
import { createNaturalAccount, type CreatedAccount } from '../support/accounts.js';
import { heading, pageWidth, screenshot, signInAtWindow, TestBrowser } from '../support/browser.js';
import { TestRelyingParty } from '../support/oidc-rp.js';
import { startTestApp, unique, type TestApp } from '../support/test-app.js';
import { TestClock } from '../support/test-clock.js';

const PHONE = { viewport: { width: 375, height: 812 } };

describe('sign-in with a one-time credential in a real browser', () => {
  let app: TestApp;
  const clock = new TestClock();
  const browser = new TestBrowser();
  const rp = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-cb');

  beforeAll(async () => {
    await rp.listen();
    app = await startTestApp({ clients: [rp.clientEntry()], clock: clock.now, env: { ADDRESS_LOGIN_FAILURES: '100000' } });
    await rp.discover(app.url);
    await browser.launch();
  }, 60_000);
  afterEach(() => browser.closeContexts());
  afterAll(async () => {
    await browser.close();
    await app?.close();
    await rp.close();
  });

  const newPassword = (page: Page) => page.getByLabel(/^新密码/);
  const confirmPassword = (page: Page) => page.getByLabel(/^确认新密码/);
  const strength = (page: Page) => page.locator('[data-strength-meter]').getAttribute('data-strength');

  async function withCredential(): Promise<{ user: CreatedAccount; credential: string }> {
    const user = await createNaturalAccount(app);
    const { credential } = await app.context.oneTimeCredentials.issue(user.account.id, 'test');
    return { user, credential };
  }

  async function signInWithCredential(page: Page, user: CreatedAccount, credential: string, url: string) {
    await page.goto(url);
    await signInAtWindow(page, '自然人登录', user.loginName, credential);
  }

  test('when a user signs in to a system with the credential, then 设置新密码 refuses a weak password beside its field and a good one completes the sign-in at the system', async () => {
    const { user, credential } = await withCredential();
    const request = await rp.authorizationRequest({ scope: 'openid profile' });
    const page = await browser.newPage();
    await signInWithCredential(page, user, credential, request.url);
    await heading(page, '设置新密码');
    expect(page.url().startsWith(rp.redirectUri)).toBe(false);
    await screenshot(page, 'credential-new-password.png');

    // A weak password: the meter says 弱 as it is typed, the server says why.
    await newPassword(page).fill('abcdefgh1');
    expect(await strength(page)).toBe('weak');
    expect(await page.locator('[data-strength-text]').textContent()).toBe('弱');
    await confirmPassword(page).fill('abcdefgh1');
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: '设置新密码并继续' }).click()]);
    await heading(page, '设置新密码');
    const error = page.locator('#newPassword-note');
    expect(await error.textContent()).toBe('密码须包含大写字母、小写字母、数字、特殊符号中的至少 3 种');
    expect(await newPassword(page).getAttribute('aria-invalid')).toBe('true');
    expect(await newPassword(page).getAttribute('aria-describedby')).toBe('newPassword-hint newPassword-note');
    expect(await newPassword(page).inputValue()).toBe('');
    await screenshot(page, 'credential-weak-password.png');

    await newPassword(page).fill('Spring-Rain-2026!');
    expect(await strength(page)).toBe('strong');
    await confirmPassword(page).fill('Spring-Rain-2026!');
    await Promise.all([page.waitForURL((url) => url.href.startsWith(rp.redirectUri)), page.getByRole('button', { name: '设置新密码并继续' }).click()]);

    const tokens = await rp.callback(page.url(), request);
    expect(tokens.claims()).toMatchObject({ sub: user.account.id, preferred_username: user.loginName });
    expect(await app.context.oneTimeCredentials.outstanding(user.account.id)).toBe(false);
  });

  test('when the page is opened on a phone, then nothing scrolls sideways; a credential that expired meanwhile gets the ways out instead of the form', async () => {
    const { user, credential } = await withCredential();
    const request = await rp.authorizationRequest();
    const page = await browser.newPage(PHONE);
    await signInWithCredential(page, user, credential, request.url);
    await heading(page, '设置新密码');
    await newPassword(page).fill('Spring-Rain');
    expect(await strength(page)).toBe('medium');
    expect(await pageWidth(page)).toBeLessThanOrEqual(375);
    await screenshot(page, 'credential-new-password-375.png');

    clock.advance(24 * 3600);
    await page.reload();
    await heading(page, '设置新密码');
    expect(await page.getByRole('alert').textContent()).toBe('一次性登录密码已过期或已使用，不能再用它设置新密码。');
    expect(await newPassword(page).count()).toBe(0);
    expect(await page.getByRole('link', { name: '切换账号' }).isVisible()).toBe(true);
    expect(await page.getByRole('link', { name: '忘记密码' }).isVisible()).toBe(true);
    expect(await pageWidth(page)).toBeLessThanOrEqual(375);
    await screenshot(page, 'credential-expired-375.png');

    // The account's own password still works: 切换账号 → the login page → the system.
    await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: '切换账号' }).click()]);
    const window = page.getByRole('tabpanel', { name: '自然人登录', exact: true });
    await window.getByLabel('登录名').fill(user.loginName);
    await window.getByLabel('密码').fill(user.password);
    await Promise.all([page.waitForURL((url) => url.href.startsWith(rp.redirectUri)), window.getByRole('button', { name: '登录', exact: true }).click()]);
    expect((await rp.callback(page.url(), request)).claims()!.sub).toBe(user.account.id);
  });
});
