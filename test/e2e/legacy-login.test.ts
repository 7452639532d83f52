/**
 * A migrated Torch Center account in a real browser (headless Debian Chromium): it signs in to a
 * business system (a real RP, openid-client) with its legacy password, which is upgraded to
 * argon2id on the way; a second sign-in, from a fresh browser, works with the same password.
 */
import type { Page } from 'playwright-core';
import { createNaturalAccount, type CreatedAccount } from '../support/accounts.js';
import { screenshot, TestBrowser } from '../support/browser.js';
import { legacyHash, migrate, passwordState } from '../support/legacy-accounts.js';
import { TestRelyingParty } from '../support/oidc-rp.js';
import { startTestApp, unique, type TestApp } from '../support/test-app.js';

describe('a migrated account signs in with its legacy password in a real browser', () => {
  let app: TestApp;
  const browser = new TestBrowser();
  const rp = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-le');

  beforeAll(async () => {
    await rp.listen();
    app = await startTestApp({ clients: [rp.clientEntry()] });
    await rp.discover(app.url);
    await browser.launch();
  }, 60_000);
  afterEach(() => browser.closeContexts());
  afterAll(async () => {
    await browser.close();
    await app?.close();
    await rp.close();
  });

  /** Opens a sign-in at the RP in a fresh browser, signs in at the natural window, returns the RP's tokens. */
  async function signIn(user: CreatedAccount, shot?: string) {
    const request = await rp.authorizationRequest({ scope: 'openid profile' });
    const page: Page = await browser.newPage();
    await page.goto(request.url);
    const window = page.getByRole('tabpanel', { name: '自然人登录', exact: true });
    await window.getByLabel('登录名').fill(user.loginName);
    await window.getByLabel('密码').fill(user.password);
    if (shot) await screenshot(page, shot);
    await Promise.all([page.waitForURL((url) => url.href.startsWith(rp.redirectUri)), window.getByRole('button', { name: '登录', exact: true }).click()]);
    return rp.callback(page.url(), request);
  }

  test('when a migrated account signs in to a system with its old password, then it arrives signed in, its password is now argon2id, and the same password signs in again', async () => {
    const user = await migrate(app, await createNaturalAccount(app), legacyHash('bcrypt'));

    const first = await signIn(user, 'legacy-login.png');
    expect(first.claims()).toMatchObject({ sub: user.account.id, preferred_username: user.loginName });
    const upgraded = await passwordState(app, user.account.id);
    expect(upgraded.passwordHash).toMatch(/^\$argon2id\$/);
    expect(upgraded.legacy).toBeUndefined();

    const second = await signIn(user);
    expect(second.claims()!.sub).toBe(user.account.id);
    expect((await passwordState(app, user.account.id)).passwordHash).toBe(upgraded.passwordHash);
  });
});
