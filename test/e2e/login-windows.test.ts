/**
 * The login page in a real browser: headless Debian Chromium driven by playwright-core, a real RP
 * (openid-client behind a loopback callback server), fields found by their labels as a user (or a
 * screen reader) finds them. Screenshots land in test-artifacts/screenshots/ for people to look at.
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { pageWidth, screenshot, TestBrowser } from '../support/browser.js';
import { TestRelyingParty } from '../support/oidc-rp.js';
import { startTestApp, unique, uniqueMobile, STRONG_PASSWORD, type TestApp } from '../support/test-app.js';

const CAPTCHA_ANSWER = 'e2e7'; // fits the captcha field's maxlength
// A valid GB 32100-2015 code (../shared/testdata); a USCC may be registered on several accounts.
const USCC = '91110108MA01ET88XL';

describe('the login page in a real browser', () => {
  let app: TestApp;
  const browser = new TestBrowser();
  const rp = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-01');
  /** Not first-party: it gets the consent page. */
  const thirdParty = new TestRelyingParty(unique('rp3'), 'rp3-secret-0123456789-0123456789-01');
  const natural = { loginName: unique('nat'), password: STRONG_PASSWORD };
  const legal = { loginName: unique('leg'), password: STRONG_PASSWORD };

  beforeAll(async () => {
    await Promise.all([rp.listen(), thirdParty.listen()]);
    app = await startTestApp({
      clients: [rp.clientEntry(), thirdParty.clientEntry({ first_party: false })],
      // Other test files share the database and 127.0.0.1: keep their failures from limiting ours.
      env: { CAPTCHA_TEST_ANSWER: CAPTCHA_ANSWER, ADDRESS_LOGIN_FAILURES: '100000' },
    });
    await Promise.all([rp.discover(app.url), thirdParty.discover(app.url)]);
    await app.context.accountService.create(
      { kind: 'natural', loginName: natural.loginName, password: natural.password, mobile: uniqueMobile(), name: '张三' },
      { type: 'cli' },
    );
    await app.context.accountService.create(
      { kind: 'legal', loginName: legal.loginName, password: legal.password, mobile: uniqueMobile(), orgName: '北京测试科技有限公司', uscc: USCC },
      { type: 'cli' },
    );
    await browser.launch();
  }, 60_000);

  afterAll(async () => {
    await browser.close();
    await app?.close();
    await Promise.all([rp.close(), thirdParty.close()]);
  });

  /** A fresh browser context (no cookies, no OP session) per test. */
  const newPage = (options: Parameters<Browser['newContext']>[0] = {}) => browser.newPage(options);

  afterEach(() => browser.closeContexts());

  // Browser-side code as strings and through ownerDocument: the project's type check has no DOM lib.
  const isFocused = (locator: Locator) => locator.evaluate((el) => el === el.ownerDocument.activeElement);

  const shot = screenshot;

  /** The visible login window, found by its accessible name (the tab that labels it). */
  const panel = (page: Page, name: string) => page.getByRole('tabpanel', { name, exact: true });

  async function fillAndSubmit(page: Page, window: string, credentials: { loginName: string; password: string }, labels = { loginName: '登录名', password: '密码', submit: '登录' }) {
    const form = panel(page, window);
    await form.getByLabel(labels.loginName).fill(credentials.loginName);
    await form.getByLabel(labels.password).fill(credentials.password);
    // Each submit loads a new document: the login page again, or the RP's callback.
    await Promise.all([page.waitForEvent('load'), form.getByRole('button', { name: labels.submit, exact: true }).click()]);
  }

  async function expectCallbackTokens(page: Page, request: { codeVerifier: string; state: string }, relyingParty = rp) {
    await page.waitForURL((url) => url.href.startsWith(relyingParty.redirectUri));
    expect(new URL(page.url()).searchParams.get('code')).toBeTruthy();
    const tokens = await relyingParty.callback(page.url(), request);
    return tokens.claims()!;
  }

  test('when a natural person signs in through the 自然人登录 window, then the RP gets a code that yields a valid ID token (account_type natural)', async () => {
    const page = await newPage();
    const request = await rp.authorizationRequest();
    await page.goto(request.url);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('用户登录');
    expect(await page.getByRole('tab', { name: '自然人登录' }).getAttribute('aria-selected')).toBe('true');
    expect(await page.getByRole('tab', { name: '法人登录' }).getAttribute('aria-selected')).toBe('false');
    await shot(page, 'login-zh-CN.png');

    await fillAndSubmit(page, '自然人登录', natural);
    const claims = await expectCallbackTokens(page, request);
    expect(claims.account_type).toBe('natural');
    expect(claims.preferred_username).toBe(natural.loginName);
    expect(claims.name).toBe('张三');
  });

  test('when a legal entity signs in through the 法人登录 window, then the RP gets a valid ID token with account_type legal', async () => {
    const page = await newPage();
    const request = await rp.authorizationRequest();
    await page.goto(request.url);
    await page.getByRole('tab', { name: '法人登录' }).click();
    expect(await page.getByRole('tab', { name: '法人登录' }).getAttribute('aria-selected')).toBe('true');
    expect(await panel(page, '自然人登录').isHidden()).toBe(true);

    await fillAndSubmit(page, '法人登录', legal);
    const claims = await expectCallbackTokens(page, request);
    expect(claims.account_type).toBe('legal');
    expect(claims.name).toBe('北京测试科技有限公司');
  });

  test('when a legal account is entered in the natural window, then an alert names the 法人登录 window and no code is issued', async () => {
    const page = await newPage();
    const request = await rp.authorizationRequest();
    await page.goto(request.url);
    await fillAndSubmit(page, '自然人登录', legal);

    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('法人登录');
    expect(page.url().startsWith(app.url)).toBe(true);
    // The login name is kept, and the alert offers the right window with the name carried over.
    expect(await panel(page, '自然人登录').getByLabel('登录名').inputValue()).toBe(legal.loginName);
    await shot(page, 'login-wrong-window.png');

    await alert.getByRole('link', { name: '切换到“法人登录”窗口' }).click();
    expect(await page.getByRole('tab', { name: '法人登录' }).getAttribute('aria-selected')).toBe('true');
    const legalPassword = panel(page, '法人登录').getByLabel('密码');
    expect(await panel(page, '法人登录').getByLabel('登录名').inputValue()).toBe(legal.loginName);
    expect(await isFocused(legalPassword)).toBe(true);
    await legalPassword.fill(legal.password);
    await Promise.all([page.waitForEvent('load'), legalPassword.press('Enter')]);
    expect((await expectCallbackTokens(page, request)).account_type).toBe('legal');
  });

  test('when the RP sends login_type=legal, then the 法人登录 window is preselected, and arrow keys move between the windows', async () => {
    const page = await newPage();
    const request = await rp.authorizationRequest({ login_type: 'legal' });
    await page.goto(request.url);
    const legalTab = page.getByRole('tab', { name: '法人登录' });
    const naturalTab = page.getByRole('tab', { name: '自然人登录' });
    expect(await legalTab.getAttribute('aria-selected')).toBe('true');
    expect(await panel(page, '法人登录').isVisible()).toBe(true);
    expect(await panel(page, '自然人登录').isHidden()).toBe(true);
    await shot(page, 'login-legal-tab.png');

    // ARIA tabs pattern: one tab stop, arrows move the selection and the focus.
    await legalTab.focus();
    await page.keyboard.press('ArrowLeft');
    expect(await naturalTab.getAttribute('aria-selected')).toBe('true');
    expect(await isFocused(naturalTab)).toBe(true);
    await shot(page, 'login-keyboard-focus.png');
    expect(await panel(page, '自然人登录').isVisible()).toBe(true);
    await page.keyboard.press('End');
    expect(await legalTab.getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('Home');
    expect(await naturalTab.getAttribute('aria-selected')).toBe('true');
    // Tab leaves the tab list for the window's first field.
    await page.keyboard.press('Tab');
    expect(await isFocused(panel(page, '自然人登录').getByLabel('登录名'))).toBe(true);

    await fillAndSubmit(page, '自然人登录', natural);
    expect((await expectCallbackTokens(page, request)).account_type).toBe('natural');
  });

  test('when the user switches the language, then the English page has the labels "Login name", "Password" and the button "Sign in"', async () => {
    const page = await newPage();
    const request = await rp.authorizationRequest();
    await page.goto(request.url);
    await page.getByRole('link', { name: 'English' }).click();
    await page.waitForURL(/lang=en/);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    const form = panel(page, 'Natural person');
    expect(await form.getByLabel('Login name').isVisible()).toBe(true);
    expect(await form.getByLabel('Password').isVisible()).toBe(true);
    expect(await form.getByRole('button', { name: 'Sign in', exact: true }).isVisible()).toBe(true);
    await shot(page, 'login-en.png');

    // A natural account in the legal window: the English message names the right window too.
    await page.getByRole('tab', { name: 'Legal entity' }).click();
    await fillAndSubmit(page, 'Legal entity', natural, { loginName: 'Login name', password: 'Password', submit: 'Sign in' });
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Natural person');
    await shot(page, 'login-en-wrong-window.png');

    // Switching back after a refused POST reopens the same window, now in Chinese.
    await page.getByRole('link', { name: '中文' }).click();
    await page.waitForURL(/lang=zh-CN/);
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect(await page.getByRole('tab', { name: '法人登录' }).getAttribute('aria-selected')).toBe('true');
    expect(await panel(page, '法人登录').getByLabel('登录名').isVisible()).toBe(true);
  });

  test('when JavaScript is off, then the tabs are links to the other window, and the language switch still works after a refused attempt', async () => {
    const page = await newPage({ javaScriptEnabled: false });
    const request = await rp.authorizationRequest();
    await page.goto(request.url);
    await Promise.all([page.waitForEvent('load'), page.getByRole('tab', { name: '法人登录' }).click()]);
    expect(await page.getByRole('tab', { name: '法人登录' }).getAttribute('aria-selected')).toBe('true');
    await fillAndSubmit(page, '法人登录', natural);
    expect(await page.getByRole('alert').textContent()).toContain('自然人登录');

    // The page now sits at the form's POST address; the link must lead to a page that has a GET.
    await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: 'English' }).click()]);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in');
    await Promise.all([page.waitForEvent('load'), page.getByRole('tab', { name: 'Natural person' }).click()]);
    await fillAndSubmit(page, 'Natural person', natural, { loginName: 'Login name', password: 'Password', submit: 'Sign in' });
    expect((await expectCallbackTokens(page, request)).account_type).toBe('natural');
  });

  test('when the page is opened on a phone (375×812), then the login form fits without horizontal scrolling', async () => {
    const page = await newPage({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const request = await rp.authorizationRequest();
    await page.goto(request.url);
    const scrollWidth = await pageWidth(page);
    expect(scrollWidth).toBeLessThanOrEqual(375);
    const button = await panel(page, '自然人登录').getByRole('button', { name: '登录', exact: true }).boundingBox();
    expect(button!.x + button!.width).toBeLessThanOrEqual(375);
    expect(button!.height).toBeGreaterThanOrEqual(44); // a thumb-sized target
    await shot(page, 'login-phone.png');

    const english = new URL(page.url());
    english.searchParams.set('lang', 'en');
    await page.goto(english.href);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in');
    expect(await pageWidth(page)).toBeLessThanOrEqual(375);
    await shot(page, 'login-phone-en.png');
  });

  test('when a login name has failed 3 times, then an image captcha appears, another can be shown in place, and with it answered the sign-in completes', async () => {
    const account = { loginName: unique('cap'), password: STRONG_PASSWORD };
    await app.context.accountService.create(
      { kind: 'natural', loginName: account.loginName, password: account.password, mobile: uniqueMobile(), name: '李四' },
      { type: 'cli' },
    );
    const page = await newPage();
    const request = await rp.authorizationRequest();
    await page.goto(request.url);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await fillAndSubmit(page, '自然人登录', { loginName: account.loginName, password: 'Wrong-Password-1' });
      await page.getByRole('alert').waitFor();
      expect(await page.getByRole('alert').textContent()).toContain('登录名或密码错误');
    }
    const form = panel(page, '自然人登录');
    const captcha = form.getByLabel('图形验证码', { exact: true });
    expect(await captcha.isVisible()).toBe(true);
    expect(await form.getByRole('img', { name: /图形验证码/ }).isVisible()).toBe(true);
    await shot(page, 'login-captcha.png');

    // Without the captcha the next attempt is refused with a field message on the captcha.
    await fillAndSubmit(page, '自然人登录', account);
    await page.getByRole('alert').waitFor();
    expect(await form.getByLabel('图形验证码', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await shot(page, 'login-captcha-error.png');

    // "Show another" swaps the image and challenge in place: the typed login name stays.
    const image = form.getByRole('img', { name: /图形验证码/ });
    const before = await image.getAttribute('src');
    const challengeBefore = await form.locator('input[name="captchaId"]').inputValue();
    await form.getByLabel('登录名').fill(account.loginName);
    await form.getByRole('link', { name: '看不清？换一张' }).click();
    // (waitForFunction would eval a string, which the page's CSP rightly forbids.)
    for (let tries = 0; tries < 40 && (await image.getAttribute('src')) === before; tries += 1) await page.waitForTimeout(100);
    expect(await image.getAttribute('src')).not.toBe(before);
    expect(await form.locator('input[name="captchaId"]').inputValue()).not.toBe(challengeBefore);
    expect(await form.getByLabel('登录名').inputValue()).toBe(account.loginName);

    await form.getByLabel('图形验证码', { exact: true }).fill(CAPTCHA_ANSWER);
    await fillAndSubmit(page, '自然人登录', account);
    expect((await expectCallbackTokens(page, request)).preferred_username).toBe(account.loginName);
  });

  test('when a business system that is not first-party asks, then the consent page is shown, and allowing it completes the sign-in', async () => {
    const page = await newPage();
    const request = await thirdParty.authorizationRequest();
    await page.goto(request.url);
    await fillAndSubmit(page, '自然人登录', natural);
    await page.getByRole('heading', { name: '授权确认' }).waitFor();
    await shot(page, 'consent.png');
    await page.getByRole('button', { name: '同意并继续' }).click();
    expect((await expectCallbackTokens(page, request, thirdParty)).account_type).toBe('natural');
  });

  test('when a signed-in user ends the session, then the OP asks to confirm and then shows that they are signed out', async () => {
    const page = await newPage();
    const request = await rp.authorizationRequest();
    await page.goto(request.url);
    await fillAndSubmit(page, '自然人登录', natural);
    await expectCallbackTokens(page, request);

    await page.goto(`${app.url}/session/end?client_id=${encodeURIComponent(rp.clientId)}`);
    await page.getByRole('heading', { name: '退出登录' }).waitFor();
    await shot(page, 'logout.png');
    await page.getByRole('button', { name: '确定退出' }).click();
    await page.getByRole('heading', { name: '已退出登录' }).waitFor();
    await shot(page, 'logged-out.png');
  });

  test('when the redirect_uri is not registered, then the OP shows its own error page instead of redirecting', async () => {
    const page = await newPage();
    const request = await rp.authorizationRequest({ redirect_uri: `${rp.base}/elsewhere` });
    const response = await page.goto(request.url);
    expect(response!.status()).toBe(400);
    expect(page.url().startsWith(app.url)).toBe(true);
    expect(await page.getByRole('alert').textContent()).toContain('回调地址未登记');
    await shot(page, 'error.png');

    await page.goto(`${request.url}&lang=en`);
    expect(await page.getByRole('alert').textContent()).toContain('return address that is not registered');
    await shot(page, 'error-en.png');

    await page.getByRole('link', { name: 'Go to the home page' }).click();
    await page.getByRole('heading', { level: 1, name: 'MOST Government Service Platform' }).waitFor();
    await shot(page, 'home-en.png');
  });
});
