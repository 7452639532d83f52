/**
 * 火炬中心账号检索 in a real browser (headless Debian Chromium), on accounts the import command made
 * from a legacy export: an enterprise kept at its USCC (E1) looks itself up from the portal home and
 * signs in at the legal window the answer links to, with its old (md5) password; a person whose
 * mobile was taken (P3) comes from the login page, proves the mobile with the code asked for in
 * place (read from the development outbox), and signs in as HJ_ + mobile at the natural window with
 * its old (salted sha256) password. Both on a phone too (375 px).
 * Screenshots: test-artifacts/screenshots/torch-lookup-*.png.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { createNaturalAccount, uniqueUscc } from '../support/accounts.js';
import { label, pageWidth, screenshot, submit, TestBrowser } from '../support/browser.js';
import { outboxCode } from '../support/sms-outbox.js';
import { startTestApp, unique, uniqueMobile, type TestApp } from '../support/test-app.js';

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

  /** Imports one legacy account, as `torch import` does; answers the platform account it got. */
  async function importLegacy(record: Record<string, string>): Promise<{ case: string; loginName: string }> {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'torch-e2e-')), 'export.jsonl');
    fs.writeFileSync(file, `${JSON.stringify({ legacy_id: unique('legacy'), ...record })}\n`);
    await app.context.torchImport.run({ file, mode: 'apply' });
    const outcome = await app.context.db('torch_outcomes').where({ legacy_id: JSON.parse(fs.readFileSync(file, 'utf8')).legacy_id }).first();
    return { case: outcome.case, loginName: outcome.login_name };
  }
  const hex = (algorithm: string, text: string) => crypto.createHash(algorithm).update(text, 'utf8').digest('hex');

  async function signIn(page: Page, window: '自然人登录' | '法人登录', loginName: string, password: string) {
    const form = page.getByRole('tabpanel', { name: window, exact: true });
    await form.waitFor();
    expect(await page.getByRole('tab', { name: window, exact: true }).getAttribute('aria-selected')).toBe('true');
    await form.getByLabel('登录名').fill(loginName);
    await form.getByLabel('密码').fill(password);
    await form.getByRole('button', { name: '登录', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: '我的信息' }).waitFor();
  }

  test('when an enterprise kept at its USCC (E1) looks itself up from the portal home, then it signs in with the USCC and its old password at the legal window the answer links to', async () => {
    const uscc = uniqueUscc();
    const oldPassword = 'Torch-2019-md5';
    const imported = await importLegacy({
      kind: 'enterprise', login_name: uscc, org_name: `${unique('火炬')}科技有限公司`, contact_name: '钱联系', mobile: uniqueMobile(),
      password_scheme: 'md5', password_hash: hex('md5', oldPassword),
    });
    expect(imported).toEqual({ case: 'E1', loginName: uscc });

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
    await signIn(page, '法人登录', uscc, oldPassword);
  });

  test('when a person whose mobile was taken (P3) comes from the login page and proves the mobile, then the answer names HJ_ + mobile and that name signs in with the old password at the natural window, on a phone', async () => {
    const mobile = uniqueMobile();
    // Someone registered the mobile as a login name (with another reserved mobile): P3.
    await createNaturalAccount(app, { loginName: mobile });
    const oldPassword = 'Torch-2019-sha256';
    const imported = await importLegacy({
      kind: 'personal', login_name: mobile, name: '孙旧用户', mobile,
      password_scheme: 'sha256_salt_prefix', password_salt: 'hj', password_hash: hex('sha256', `hj${oldPassword}`),
    });
    expect(imported).toEqual({ case: 'P3', loginName: `HJ_${mobile}` });

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
    await label(page, '短信验证码').fill(await outboxCode(app, mobile));
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
    await signIn(page, '自然人登录', `HJ_${mobile}`, oldPassword);
  });
});
