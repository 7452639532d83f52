/**
 * 单位用户（法人）注册 in a real browser (headless Debian Chromium): from a business system's sign-in
 * to the legal registration form, fields found by their labels, the main agent's SMS code read from
 * the development outbox, automatic verification through the enterprise reference register, and back
 * into the same sign-in's legal window, which completes with an ID token of account_type legal.
 * Screenshots: test-artifacts/screenshots/legal-register-*.png.
 */
import type { Page } from 'playwright-core';
import { uniqueUscc } from '../support/accounts.js';
import { uniqueName, uniqueResidentId } from '../support/identities.js';
import { label, pageWidth, screenshot, submit, TestBrowser } from '../support/browser.js';
import { TestRelyingParty } from '../support/oidc-rp.js';
import { outboxCode } from '../support/sms-outbox.js';
import { startTestApp, unique, uniqueMobile, type TestApp } from '../support/test-app.js';

const CAPTCHA_ANSWER = 'l3g9'; // fits the captcha field's maxlength
const PASSWORD = 'Autumn-Leaves-2024';

describe('legal-entity registration in a real browser', () => {
  let app: TestApp;
  const browser = new TestBrowser();
  const rp = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-lg');

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

  const group = (page: Page, name: string) => page.getByRole('group', { name, exact: true });

  test('when a unit registers from a business system\'s sign-in and is in the enterprise register, then 注册完成, and 登录 completes the same sign-in in the legal window with account_type legal and its USCC', async () => {
    const unit = {
      loginName: unique('unit'),
      orgName: `${uniqueName()}${unique('').slice(1, 5)}（北京）科技有限公司`,
      uscc: uniqueUscc(),
      rep: { name: uniqueName(), mobile: uniqueMobile(), documentNumber: uniqueResidentId() },
      agent: { name: uniqueName(), mobile: uniqueMobile(), documentNumber: uniqueResidentId() },
    };
    await app.context.referenceEntities.upsert([{ uscc: unit.uscc, orgName: unit.orgName, legalRepresentativeName: unit.rep.name }]);
    const request = await rp.authorizationRequest({ scope: 'openid profile org real_name' });

    const page = await browser.newPage();
    await page.goto(request.url);
    await page.waitForURL(/\/interaction\/[^/?]+$/);
    const interaction = new URL(page.url()).pathname;
    await page.getByRole('link', { name: '立即注册账号' }).click();
    await page.getByRole('heading', { level: 1, name: '注册备案系统介绍' }).waitFor();
    await page.getByRole('link', { name: '单位用户（法人）注册' }).click();
    await page.getByRole('heading', { level: 1, name: '单位用户（法人）注册' }).waitFor();
    expect(new URL(page.url()).searchParams.get('return_to')).toBe(interaction);
    expect(await page.locator('[aria-current="step"]').textContent()).toContain('填写账号及用户信息');
    await screenshot(page, 'legal-register-form.png');

    // 检索单位名称是否存在 posts the form and answers beside the field.
    await label(page, '登录名').fill(unit.loginName);
    await label(page, '法人单位名称').fill(unit.orgName);
    await submit(page, '检索单位名称是否存在');
    expect(await page.locator('#orgName-note').textContent()).toBe('该单位名称尚未注册法人账号。');
    expect(await label(page, '登录名').inputValue()).toBe(unit.loginName);

    // With JavaScript only the number of the chosen region shows.
    expect(await label(page, '统一社会信用代码').isVisible()).toBe(true);
    expect(await label(page, '单位注册号码').isVisible()).toBe(false);
    await page.getByRole('radio', { name: '港澳台地区单位' }).check();
    expect(await label(page, '统一社会信用代码').isVisible()).toBe(false);
    expect(await label(page, '单位注册号码').isVisible()).toBe(true);
    await page.getByRole('radio', { name: '境内单位' }).check();
    expect(await label(page, '统一社会信用代码').isVisible()).toBe(true);

    await label(page, '密码').fill(PASSWORD);
    expect(await page.locator('[data-strength-meter] [data-strength-text]').textContent()).toBe('强');
    await label(page, '密码确认').fill(PASSWORD);
    await page.getByRole('radio', { name: '企业法人' }).check();
    await label(page, '统一社会信用代码').fill(unit.uscc);

    const rep = group(page, '法定代表人信息');
    await label(rep, '法定代表人姓名').fill(unit.rep.name);
    await label(rep, '法定代表人手机号码').fill(unit.rep.mobile);
    // Only the identity type's document types are offered, for each person on its own.
    await label(rep, '法定代表人身份类型').selectOption({ label: '其他' });
    expect(await label(rep, '法定代表人证件类型').inputValue()).toBe('passport');
    expect(await label(page, '主代办人证件类型').inputValue()).toBe('resident_id');
    await label(rep, '法定代表人身份类型').selectOption({ label: '中华人民共和国大陆地区' });
    expect(await label(rep, '法定代表人证件类型').inputValue()).toBe('resident_id');
    await label(rep, '法定代表人证件号码').fill(unit.rep.documentNumber);
    // 长期有效 stands for a date.
    await rep.getByLabel('长期有效').check();
    expect(await label(rep, '法定代表人证件有效期至').isDisabled()).toBe(true);

    const agent = group(page, '主代办人信息');
    await label(agent, '主代办人姓名').fill(unit.agent.name);
    await label(agent, '主代办人手机号码').fill(unit.agent.mobile);
    await label(agent, '图形验证码').fill(CAPTCHA_ANSWER);
    // With JavaScript the code is asked for in place, to the main agent's mobile: nothing typed is lost.
    await agent.getByRole('button', { name: '获取验证码', exact: true }).click();
    await page.locator('#smsCode-note').waitFor();
    expect(await page.locator('#smsCode-note').textContent()).toContain('验证码已发送至您的手机');
    expect(await label(page, '密码').inputValue()).toBe(PASSWORD);
    expect(await label(rep, '法定代表人证件号码').inputValue()).toBe(unit.rep.documentNumber);
    await label(agent, '主代办人手机验证码').fill(await outboxCode(app, unit.agent.mobile));
    await label(agent, '主代办人证件号码').fill(unit.agent.documentNumber);
    await label(agent, '主代办人证件有效期至').fill('2045-06-30');
    await page.getByRole('checkbox', { name: /我已阅读并同意/ }).check();
    await screenshot(page, 'legal-register-filled.png');

    // The same filled form on a phone: nothing scrolls sideways.
    await page.setViewportSize({ width: 375, height: 812 });
    expect(await pageWidth(page)).toBeLessThanOrEqual(375);
    await screenshot(page, 'legal-register-filled-phone.png');
    await page.setViewportSize({ width: 1280, height: 860 });

    await submit(page, '注册账号');
    await page.waitForURL(/\/register\/legal\/result\/[0-9a-f-]{36}$/);
    expect(await page.locator('[aria-current="step"]').textContent()).toContain('注册完成');
    const status = await page.getByRole('status').textContent();
    expect(status).toContain(`账号已注册，登录名：${unit.loginName}`);
    expect(status).toContain('法人实名认证已通过，注册完成。');
    await screenshot(page, 'legal-register-result.png');

    await page.getByRole('link', { name: '登录', exact: true }).click();
    await page.waitForURL((url) => url.pathname === interaction);
    expect(await page.getByRole('tab', { name: '法人登录' }).getAttribute('aria-selected')).toBe('true');
    const window = page.getByRole('tabpanel', { name: '法人登录', exact: true });
    await window.getByLabel('登录名').fill(unit.loginName);
    await window.getByLabel('密码').fill(PASSWORD);
    await window.getByRole('button', { name: '登录', exact: true }).click();
    await page.waitForURL((url) => url.href.startsWith(rp.redirectUri));
    const claims = (await rp.callback(page.url(), request)).claims()!;
    expect(claims).toMatchObject({
      account_type: 'legal',
      uscc: unit.uscc,
      org_name: unit.orgName,
      org_type: 'enterprise',
      registration_region: 'domestic',
      preferred_username: unit.loginName,
      real_name_status: 'verified',
    });
    expect(claims.sub).toBe((await app.context.accounts.findCredentials(unit.loginName))!.id);
    // The main agent's mobile became the account's reserved mobile.
    expect((await app.context.accounts.findById(claims.sub))!.mobile).toBe(unit.agent.mobile);
  });

  test('when a Hong Kong unit registers with its own registration number, then the account is registered and the result page says to upload the documents for manual review', async () => {
    const loginName = unique('hk');
    const agentMobile = uniqueMobile();
    const page = await browser.newPage();
    await page.goto(`${app.url}/register/legal`);
    await label(page, '登录名').fill(loginName);
    await label(page, '密码').fill(PASSWORD);
    await label(page, '密码确认').fill(PASSWORD);
    await label(page, '法人单位名称').fill(`${unique('Harbour')} Trading Limited`);
    await page.getByRole('radio', { name: '港澳台地区单位' }).check();
    await page.getByRole('radio', { name: '其他' }).check();
    await label(page, '单位注册号码').fill('BR 71234567');
    const rep = group(page, '法定代表人信息');
    await label(rep, '法定代表人姓名').fill('陈大文');
    await label(rep, '法定代表人手机号码').fill(uniqueMobile());
    await label(rep, '法定代表人身份类型').selectOption({ label: '港、澳、台地区' });
    await label(rep, '法定代表人证件类型').selectOption({ label: '港澳居民来往内地通行证' });
    await label(rep, '法定代表人证件号码').fill('H12345678');
    await label(rep, '法定代表人证件有效期至').fill('2031-12-31');
    const agent = group(page, '主代办人信息');
    await label(agent, '主代办人姓名').fill(uniqueName());
    await label(agent, '主代办人手机号码').fill(agentMobile);
    await label(agent, '图形验证码').fill(CAPTCHA_ANSWER);
    await agent.getByRole('button', { name: '获取验证码', exact: true }).click();
    await page.locator('#smsCode-note').waitFor();
    await label(agent, '主代办人手机验证码').fill(await outboxCode(app, agentMobile));
    await label(agent, '主代办人证件号码').fill(uniqueResidentId());
    await agent.getByLabel('长期有效').check();
    await page.getByRole('checkbox', { name: /我已阅读并同意/ }).check();
    await submit(page, '注册账号');

    await page.waitForURL(/\/register\/legal\/result\/[0-9a-f-]{36}$/);
    expect(await page.locator('[aria-current="step"]').textContent()).toContain('用户实名认证');
    expect(await page.getByRole('status').textContent()).toContain('港澳台地区及境外单位不能通过企业登记信息自动认证');
    expect(await page.getByRole('link', { name: '登录', exact: true }).getAttribute('href')).toBe('/portal/login?login_type=legal');
    await screenshot(page, 'legal-register-result-review.png');
    const account = (await app.context.accounts.findById((await app.context.accounts.findCredentials(loginName))!.id))!;
    expect(account.legal).toMatchObject({ registrationRegion: 'hmt', orgType: 'other', uscc: null, registrationNumber: 'BR 71234567' });
  });

  test('when the form is sent with wrong values, then each field shows its own message beside it and what was typed stays', async () => {
    const page = await browser.newPage();
    await page.goto(`${app.url}/register/legal`);
    const agent = group(page, '主代办人信息');
    // A bad main agent mobile is told under that mobile, in place.
    await label(agent, '主代办人手机号码').fill('1391234');
    await label(agent, '图形验证码').fill(CAPTCHA_ANSWER);
    await agent.getByRole('button', { name: '获取验证码', exact: true }).click();
    await page.locator('#agentMobile-note').waitFor();
    expect(await page.locator('#agentMobile-note').textContent()).toBe('请输入正确的 11 位手机号码');

    await label(page, '登录名').fill('某某科技');
    await label(page, '法人单位名称').fill('某某科技有限公司');
    await label(page, '统一社会信用代码').fill('91110108MA01ABCDE1');
    await label(page, '法定代表人证件号码').fill('110105199002300000');
    await submit(page, '注册账号');
    expect(await page.getByRole('alert').first().textContent()).toBe('请检查填写的内容');
    for (const [field, message] of [
      ['loginName', '登录名只能包含字母、数字和下划线'],
      ['orgType', '请选择法人类型'],
      ['uscc', '统一社会信用代码校验位不正确，请核对'],
      ['repName', '请输入姓名'],
      ['repDocumentNumber', '证件号码中的出生日期不正确'],
      ['repDocumentValidUntil', '请填写证件有效期，或勾选“长期有效”'],
      ['agentMobile', '请输入正确的 11 位手机号码'],
      ['smsCode', '请输入 6 位短信验证码'],
      ['agreement', '请阅读并同意《法人实名认证协议》'],
    ]) {
      expect(await page.locator(`#${field}-note`).textContent()).toBe(message);
    }
    expect(await label(page, '法人单位名称').inputValue()).toBe('某某科技有限公司');
    expect(await label(page, '统一社会信用代码').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('radio', { name: '企业法人' }).getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'legal-register-errors.png');
  });

  test('when the form is opened on a phone, then nothing scrolls sideways and inputs keep a finger-sized height', async () => {
    const page = await browser.newPage({ viewport: { width: 375, height: 812 } });
    await page.goto(`${app.url}/register/legal`);
    await page.getByRole('heading', { level: 1, name: '单位用户（法人）注册' }).waitFor();
    expect(await pageWidth(page)).toBeLessThanOrEqual(375);
    for (const field of ['登录名', '法人单位名称', '统一社会信用代码', '主代办人手机验证码']) {
      expect((await label(page, field).boundingBox())!.height).toBeGreaterThanOrEqual(44);
    }
    await screenshot(page, 'legal-register-phone.png');
  });

  test('when JavaScript is off, then both unit numbers show with their hints and the validity dates stay usable', async () => {
    const page = await browser.newPage({ javaScriptEnabled: false });
    await page.goto(`${app.url}/register/legal`);
    expect(await label(page, '统一社会信用代码').isVisible()).toBe(true);
    expect(await label(page, '单位注册号码').isVisible()).toBe(true);
    expect(await page.getByText('境内单位填写：').isVisible()).toBe(true);
    expect(await page.getByText('港澳台地区及境外单位填写：').isVisible()).toBe(true);
    expect(await label(page, '法定代表人证件有效期至').isDisabled()).toBe(false);
  });
});
