/**
 * 自然人注册 in a real browser (headless Debian Chromium): from a business system's sign-in to the
 * registration form, fields found by their labels, the SMS code read from the development outbox,
 * automatic verification through the reference register, and back into the same sign-in, which
 * completes with real_name_status=verified. Screenshots: test-artifacts/screenshots/register-*.png.
 */
import type { Page } from 'playwright-core';
import { uniqueName, uniqueResidentId } from '../support/identities.js';
import { label, pageWidth, screenshot, submit, TestBrowser } from '../support/browser.js';
import { TestRelyingParty } from '../support/oidc-rp.js';
import { outboxCode } from '../support/sms-outbox.js';
import { startTestApp, unique, uniqueMobile, type TestApp } from '../support/test-app.js';

const CAPTCHA_ANSWER = 'e2r5'; // fits the captcha field's maxlength
const PASSWORD = 'Spring-Field-2024';

describe('natural-person registration in a real browser', () => {
  let app: TestApp;
  const browser = new TestBrowser();
  const rp = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-re');

  beforeAll(async () => {
    await rp.listen();
    app = await startTestApp({
      clients: [rp.clientEntry()],
      // Other test files share the database and 127.0.0.1: keep their failures and codes from limiting ours.
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

  const meter = (page: Page) => page.locator('[data-strength-meter]');

  test('when a person registers from a business system\'s sign-in and is in the register, then 注册完成, and 登录 completes the same sign-in with real_name_status=verified', async () => {
    const person = { name: uniqueName(), documentNumber: uniqueResidentId(), mobile: uniqueMobile(), loginName: unique('web') };
    await app.context.referenceRegister.upsert([{ name: person.name, documentType: 'resident_id', documentNumber: person.documentNumber }]);
    const request = await rp.authorizationRequest({ scope: 'openid real_name' });

    const page = await browser.newPage();
    await page.goto(request.url);
    await page.waitForURL(/\/interaction\/[^/?]+$/);
    const interaction = new URL(page.url()).pathname;
    await page.getByRole('link', { name: '立即注册账号' }).click();
    await page.getByRole('heading', { level: 1, name: '注册备案系统介绍' }).waitFor();
    expect(await page.getByRole('link', { name: '单位用户（法人）注册' }).isVisible()).toBe(true);
    await screenshot(page, 'register-landing.png');

    await page.getByRole('link', { name: '自然人注册' }).click();
    await page.getByRole('heading', { level: 1, name: '自然人注册' }).waitFor();
    expect(new URL(page.url()).searchParams.get('return_to')).toBe(interaction);
    expect(await page.locator('[aria-current="step"]').textContent()).toContain('填写账号及用户信息');
    expect(await meter(page).isVisible()).toBe(false);
    await screenshot(page, 'register-natural.png');

    // The meter follows the password as it is typed.
    await label(page, '登录名').fill(person.loginName);
    for (const [typed, level, text] of [
      ['abc', 'weak', '弱'],
      ['abcdefgh', 'weak', '弱'],
      ['Abcdefg1', 'medium', '中'],
      ['Abcdefg1-xyz', 'strong', '强'],
      [person.loginName, 'weak', '弱'],
    ] as const) {
      await label(page, '密码').fill(typed);
      expect(await meter(page).getAttribute('data-strength')).toBe(level);
      expect(await meter(page).locator('[data-strength-text]').textContent()).toBe(text);
      expect(await meter(page).isVisible()).toBe(true);
    }
    await label(page, '密码').fill('');
    expect(await meter(page).isVisible()).toBe(false);

    // Only the identity type's document types are offered.
    await label(page, '身份类型').selectOption({ label: '其他' });
    expect(await label(page, '证件类型').inputValue()).toBe('passport');
    expect(await page.locator('#documentType optgroup[data-identity="mainland"]').evaluate((group) => (group as unknown as { disabled: boolean }).disabled)).toBe(true);
    await label(page, '身份类型').selectOption({ label: '中华人民共和国大陆地区' });
    expect(await label(page, '证件类型').inputValue()).toBe('resident_id');

    await label(page, '密码').fill(PASSWORD);
    expect(await meter(page).locator('[data-strength-text]').textContent()).toBe('强');
    await label(page, '密码确认').fill(PASSWORD);
    await label(page, '姓名').fill(person.name);
    await label(page, '证件类型').selectOption({ label: '居民身份证' });
    await label(page, '证件号码').fill(person.documentNumber);
    await label(page, '手机号码').fill(person.mobile);
    await label(page, '图形验证码').fill(CAPTCHA_ANSWER);
    // With JavaScript the code is asked for in place: nothing typed is lost, passwords included.
    const captchaBefore = await page.locator('input[name="captchaId"]').inputValue();
    await page.getByRole('button', { name: '获取验证码', exact: true }).click();
    await page.locator('#smsCode-note').waitFor();
    expect(await page.locator('#smsCode-note').textContent()).toContain('验证码已发送至您的手机');
    expect(await label(page, '登录名').inputValue()).toBe(person.loginName);
    expect(await label(page, '证件号码').inputValue()).toBe(person.documentNumber);
    expect(await label(page, '密码').inputValue()).toBe(PASSWORD);
    // The captcha was spent: a new one is in place for the next request.
    for (let tries = 0; tries < 40 && (await page.locator('input[name="captchaId"]').inputValue()) === captchaBefore; tries += 1) await page.waitForTimeout(100);
    expect(await page.locator('input[name="captchaId"]').inputValue()).not.toBe(captchaBefore);
    await label(page, '短信验证码').fill(await outboxCode(app, person.mobile));
    await page.getByRole('checkbox', { name: /我已阅读并同意/ }).check();
    await submit(page, '注册账号');

    await page.waitForURL(/\/register\/natural\/result\/[0-9a-f-]{36}$/);
    expect(await page.locator('[aria-current="step"]').textContent()).toContain('注册完成');
    expect(await page.getByRole('status').textContent()).toContain(`账号已注册，登录名：${person.loginName}`);
    await screenshot(page, 'register-result.png');

    await page.getByRole('link', { name: '登录', exact: true }).click();
    await page.waitForURL((url) => url.pathname === interaction);
    const window = page.getByRole('tabpanel', { name: '自然人登录', exact: true });
    await window.getByLabel('登录名').fill(person.loginName);
    await window.getByLabel('密码').fill(PASSWORD);
    await window.getByRole('button', { name: '登录', exact: true }).click();
    await page.waitForURL((url) => url.href.startsWith(rp.redirectUri));
    const claims = (await rp.callback(page.url(), request)).claims()!;
    expect(claims).toMatchObject({ account_type: 'natural', real_name_status: 'verified' });
    expect(claims.real_name_verified_at).toEqual(expect.any(Number));
    expect(claims.sub).toBe((await app.context.accounts.findCredentials(person.loginName))!.id);
  });

  test('when the form is sent with wrong values, then each field shows its own message beside it and what was typed stays', async () => {
    const page = await browser.newPage();
    await page.goto(`${app.url}/register/natural`);
    await label(page, '登录名').fill('张三');
    await label(page, '密码').fill('abc');
    await label(page, '密码确认').fill('abd');
    await label(page, '证件号码').fill('110105199002300000');
    await label(page, '手机号码').fill('1391234');
    await label(page, '短信验证码').fill('12');
    await submit(page, '注册账号');
    expect(await page.getByRole('alert').first().textContent()).toBe('请检查填写的内容');
    for (const [field, message] of [
      ['loginName', '登录名只能包含字母、数字和下划线'],
      ['password', '密码至少 8 位'],
      ['confirmPassword', '两次输入的密码不一致'],
      ['name', '请输入姓名'],
      ['documentNumber', '证件号码中的出生日期不正确'],
      ['mobile', '请输入正确的 11 位手机号码'],
      ['smsCode', '请输入 6 位短信验证码'],
      ['agreement', '请阅读并同意《自然人实名认证协议》'],
    ]) {
      expect(await page.locator(`#${field}-note`).textContent()).toBe(message);
    }
    expect(await label(page, '登录名').getAttribute('aria-invalid')).toBe('true');
    expect(await label(page, '手机号码').inputValue()).toBe('1391234');
    await screenshot(page, 'register-natural-errors.png');
  });

  test('when the form is opened on a phone, then nothing scrolls sideways', async () => {
    const page = await browser.newPage({ viewport: { width: 375, height: 812 } });
    await page.goto(`${app.url}/register/natural`);
    await page.getByRole('heading', { level: 1, name: '自然人注册' }).waitFor();
    expect(await pageWidth(page)).toBeLessThanOrEqual(375);
    // Stacked above their buttons, the inputs keep a finger-sized height.
    for (const field of ['登录名', '证件号码', '短信验证码']) {
      expect((await label(page, field).boundingBox())!.height).toBeGreaterThanOrEqual(44);
    }
    await screenshot(page, 'register-natural-phone.png');
    await page.goto(`${app.url}/register`);
    expect(await pageWidth(page)).toBeLessThanOrEqual(375);
  });
});
