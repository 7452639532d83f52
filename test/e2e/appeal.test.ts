/**
 * 自然人申诉找回密码 end to end in a real browser: a person who lost their reserved mobile files an
 * appeal with both sides of their document and the SMS code (asked in place by the page's script,
 * read from the outbox), sees 等待审核 with the case number; a reviewer signs in to the console with
 * password + TOTP and approves; the SMS with the login name and one-time credential is in the
 * outbox, and the status page says approved; the credential signs in to a business system once,
 * through 设置新密码, and never again. Screenshots: appeal-*.png (the forms also at 375 px)
 * and console-appeal-case.png.
 */
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { createLegalAccount, createNaturalAccount, uniqueUscc } from '../support/accounts.js';
import { APPEAL_TEST_ENV, appealPerson, CAPTCHA_ANSWER, fileAppeal } from '../support/appeals.js';
import { overflowsSideways, screenshot, signInAtWindow, signInToConsole, TestBrowser } from '../support/browser.js';
import { uniqueName, uniqueResidentId } from '../support/identities.js';
import { createOperator } from '../support/review.js';
import { TestRelyingParty } from '../support/oidc-rp.js';
import { outboxCode } from '../support/sms-outbox.js';
import { startTestApp, unique, uniqueMobile, type TestApp } from '../support/test-app.js';

/** A document side drawn by sharp, signed across, so the screenshots show what a reviewer sees. */
function documentSide(side: 'front' | 'back'): Promise<Buffer> {
  const lines = side === 'front' ? ['姓名  样本', '公民身份号码  样本 SAMPLE'] : ['中华人民共和国', '居民身份证'];
  const text = lines.map((line, i) => `<text x="30" y="${80 + i * 48}" font-size="28" fill="#1f2329" font-family="Noto Sans CJK SC, sans-serif">${line}</text>`).join('');
  const signature = '<text x="150" y="235" font-size="26" fill="#1a3fb4" font-family="Noto Sans CJK SC, sans-serif" transform="rotate(-8 150 235)">仅供申诉使用 样本</text>';
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="428" height="270"><rect width="428" height="270" rx="16" fill="#dfe9f3"/>${text}${signature}</svg>`;
  return sharp(Buffer.from(svg)).flatten({ background: '#ffffff' }).jpeg({ quality: 85 }).toBuffer();
}

describe('an appeal in a real browser', () => {
  let app: TestApp;
  const browser = new TestBrowser();
  const rp = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-ap');

  beforeAll(async () => {
    await rp.listen();
    app = await startTestApp({ clients: [rp.clientEntry()], env: APPEAL_TEST_ENV });
    await rp.discover(app.url);
    await browser.launch();
  }, 60_000);
  afterEach(() => browser.closeContexts());
  afterAll(async () => {
    await browser.close();
    await app?.close();
    await rp.close();
  });

  /** A business system's sign-in in the natural window; resolves once the next page has loaded. */
  async function signInAt(page: Page, url: string, loginName: string, password: string) {
    await page.goto(url);
    await signInAtWindow(page, '自然人登录', loginName, password);
  }

  test('when a person files a natural appeal and a reviewer approves it with TOTP, then the SMS carries the login name and a one-time credential, the status page says approved, and the credential signs in once, through 设置新密码', async () => {
    const name = uniqueName();
    const documentNumber = uniqueResidentId();
    const user = await createNaturalAccount(app, { name, documentNumber, realNameVerified: true });
    const newMobile = uniqueMobile();

    // The appeal, filled in as a person would: the code is asked for in place.
    const page = await browser.newPage();
    await page.goto(`${app.url}/recovery/appeal/natural`);
    await page.getByLabel('姓名').fill(name);
    await page.getByLabel('身份类型').selectOption({ label: '中华人民共和国大陆地区' });
    await page.getByLabel('证件类型').selectOption({ label: '居民身份证' });
    await page.getByLabel('证件号码').fill(documentNumber);
    await page.getByLabel('手机号码').fill(newMobile);
    await page.getByLabel('证件正面').setInputFiles({ name: 'front.jpg', mimeType: 'image/jpeg', buffer: await documentSide('front') });
    await page.getByLabel('证件反面').setInputFiles({ name: 'back.jpg', mimeType: 'image/jpeg', buffer: await documentSide('back') });
    await page.getByLabel('图形验证码').fill(CAPTCHA_ANSWER);
    await page.getByRole('button', { name: '获取验证码' }).click();
    await page.getByText(/验证码已发送至您的手机/).waitFor();
    await page.getByLabel('手机验证码').fill(await outboxCode(app, newMobile));
    await screenshot(page, 'appeal-natural-form.png');

    await Promise.all([page.waitForURL(/\/recovery\/appeal\/submitted$/), page.getByRole('button', { name: '下一步' }).click()]);
    expect(await page.getByText('申诉已提交，等待审核。').isVisible()).toBe(true);
    const caseNumber = (await page.locator('[data-case-number]').textContent())!;
    expect(caseNumber).toMatch(/^SS\d{14}$/);
    expect(await page.locator('[aria-current="step"]').textContent()).toContain('等待审核');
    await screenshot(page, 'appeal-submitted.png');

    // A reviewer, created as the CLI does, signs in with password + TOTP and approves.
    const reviewer = await createOperator(app, 'reviewer');
    const console = await browser.newPage();
    await signInToConsole(console, app.url, reviewer);
    await Promise.all([console.waitForURL(/\/console\/appeals\/[^/]+$/), console.getByRole('link', { name: `审核 ${caseNumber}` }).click()]);
    expect(await console.getByRole('heading', { level: 1 }).textContent()).toBe('申诉找回密码审核');
    const match = console.getByRole('row').filter({ hasText: user.loginName });
    expect(await match.getByRole('radio').isChecked()).toBe(true);
    await console.locator('details.sensitive summary').click();
    await console.locator('.case-image img').first().evaluate((img) => (img as unknown as { decode(): Promise<void> }).decode());
    await screenshot(console, 'console-appeal-case.png');
    await Promise.all([console.waitForURL(/\/console\/queue\?decided=/), console.getByRole('button', { name: '审核通过' }).click()]);
    expect(await console.getByRole('status').textContent()).toContain(`申诉 ${caseNumber} 已审核通过`);

    // The SMS the applicant gets: the login name and a credential that signs in once.
    const [sms] = await app.context.smsOutbox.recent({ mobile: newMobile, limit: 1 });
    const credential = /登录名：(\w+)，一次性登录密码：(\d{12})/.exec(sms!.text);
    expect(credential?.[1]).toBe(user.loginName);
    expect(await app.context.oneTimeCredentials.matches(user.account.id, credential![2]!)).toBe(true);
    expect((await app.context.accounts.findById(user.account.id))!.mobile).toBe(newMobile);

    // The applicant looks the appeal up.
    await page.goto(`${app.url}/recovery/appeal/status`);
    await page.getByLabel('申诉编号').fill(caseNumber);
    await page.getByLabel('手机号码').fill(newMobile);
    await page.getByLabel('图形验证码').fill(CAPTCHA_ANSWER);
    await page.getByRole('button', { name: '查询' }).click();
    await page.locator('[data-appeal-status="approved"]').waitFor();
    expect(await page.getByText('已通过：登录名与一次性密码已短信发送').isVisible()).toBe(true);
    await screenshot(page, 'appeal-status.png');

    // The credential signs in to a business system, which is reached only after 设置新密码.
    const request = await rp.authorizationRequest({ scope: 'openid profile' });
    await signInAt(page, request.url, credential![1]!, credential![2]!);
    await page.getByRole('heading', { level: 1, name: '设置新密码' }).waitFor();
    await page.getByLabel(/^新密码/).fill('Autumn-Leaf-2026!');
    await page.getByLabel(/^确认新密码/).fill('Autumn-Leaf-2026!');
    await Promise.all([page.waitForURL((url) => url.href.startsWith(rp.redirectUri)), page.getByRole('button', { name: '设置新密码并继续' }).click()]);
    expect((await rp.callback(page.url(), request)).claims()).toMatchObject({ sub: user.account.id });

    // Used once: in a fresh browser the credential is a wrong password, the new password works.
    const again = await browser.newPage();
    const second = await rp.authorizationRequest({ scope: 'openid' });
    await signInAt(again, second.url, user.loginName, credential![2]!);
    expect(await again.getByRole('alert').first().textContent()).toContain('登录名或密码错误');
    await signInAt(again, second.url, user.loginName, 'Autumn-Leaf-2026!');
    await again.waitForURL((url) => url.href.startsWith(rp.redirectUri));
  });

  test('when a reviewer opens a unit’s appeal, then the legal accounts with its USCC are listed beside the main agent’s document, the main agent to be replaced by default', async () => {
    const uscc = uniqueUscc();
    const unit = await createLegalAccount(app, { uscc, realNameVerified: true });
    const other = await createLegalAccount(app, { uscc });
    const { caseId } = await fileAppeal(app, {
      kind: 'legal',
      orgName: unit.account.legal!.orgName,
      orgType: 'enterprise',
      uscc,
      mainAgent: appealPerson(),
      email: 'agent@example.com',
      reason: '原主代办人已离职，预留手机号停用，单位忘记登录名。',
    });
    const reviewer = await createOperator(app, 'reviewer');
    const console = await browser.newPage();
    await signInToConsole(console, app.url, reviewer);
    await console.goto(`${app.url}/console/appeals/${caseId}`);
    expect(await console.getByRole('row').filter({ hasText: other.loginName }).getByText('单位名称不一致').isVisible()).toBe(true);
    expect(await console.getByLabel('以申诉的主代办人替换账号的主代办人，并将其手机号码设为预留手机号').isChecked()).toBe(true);
    await screenshot(console, 'console-legal-appeal-case.png');
  });

  test('when the appeal pages open on a 375 px phone, then nothing scrolls sideways, and a unit goes from 检索单位 to its form', async () => {
    const phone = await browser.newPage({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true });
    await phone.goto(`${app.url}/recovery/appeal/natural`);
    expect(await overflowsSideways(phone)).toBe(false);
    await screenshot(phone, 'appeal-natural-375.png');

    await phone.goto(`${app.url}/recovery/appeal/legal`);
    expect(await overflowsSideways(phone)).toBe(false);
    await phone.getByLabel('单位名称').fill('北京样本科技有限公司');
    await phone.getByLabel('图形验证码').fill(CAPTCHA_ANSWER);
    await phone.getByRole('button', { name: '检索单位' }).click();
    await phone.getByLabel('主代办人证件号码').waitFor();
    expect(await phone.getByLabel('单位名称').inputValue()).toBe('北京样本科技有限公司');
    expect(await overflowsSideways(phone)).toBe(false);
    await screenshot(phone, 'appeal-legal-375.png');

    // Sent empty, the form says what each field needs, and still fits the phone.
    await phone.getByRole('button', { name: '下一步' }).click();
    await phone.getByText('请检查填写的内容').waitFor();
    expect(await phone.getByLabel('主代办人证件号码').getAttribute('aria-invalid')).toBe('true');
    expect(await phone.locator('#front-note').textContent()).toBe('请选择要上传的图片');
    expect(await overflowsSideways(phone)).toBe(false);
    await screenshot(phone, 'appeal-legal-errors-375.png');

    await phone.goto(`${app.url}/recovery/appeal/status`);
    expect(await overflowsSideways(phone)).toBe(false);
    await screenshot(phone, 'appeal-status-375.png');
  });
});
