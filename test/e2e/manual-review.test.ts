/**
 * Manual real-name verification end to end in a real browser: a person whose document the
 * register does not know saves My Information (mismatch), uploads the document's two sides
 * (审核中), a reviewer signs in to the console with password + TOTP and approves, and the person's
 * My Information then shows 已审核认证. Screenshots: my-information-upload.png, my-information-reviewed.png.
 */
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { createNaturalAccount } from '../support/accounts.js';
import { screenshot, signInToConsole, TestBrowser } from '../support/browser.js';
import { uniqueName, uniqueResidentId } from '../support/identities.js';
import { createOperator } from '../support/review.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** A document side as a PNG drawn by sharp: a card with a few lines of text. */
function documentSide(side: 'front' | 'back'): Promise<Buffer> {
  const lines = side === 'front' ? ['姓名 样本', '公民身份号码 SAMPLE'] : ['中华人民共和国', '居民身份证'];
  const text = lines.map((line, i) => `<text x="30" y="${70 + i * 44}" font-size="26" fill="#1f2329" font-family="Noto Sans CJK SC, sans-serif">${line}</text>`).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="428" height="270"><rect width="428" height="270" rx="16" fill="#dfe9f3"/>${text}</svg>`;
  return sharp(Buffer.from(svg)).flatten({ background: '#ffffff' }).png().toBuffer();
}

describe('manual verification in a real browser', () => {
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

  const status = (page: Page) => page.locator('.status__value');

  test('when a person the register does not know uploads both sides and a reviewer approves with TOTP, then My Information shows 已审核认证', async () => {
    const user = await createNaturalAccount(app, { name: uniqueName() });
    const documentNumber = uniqueResidentId();

    // The person signs in at the portal through the 自然人登录 window.
    const page = await browser.newPage();
    await page.goto(`${app.url}/portal/login?login_type=natural`);
    const window = page.getByRole('tabpanel', { name: '自然人登录', exact: true });
    await window.getByLabel('登录名').fill(user.loginName);
    await window.getByLabel('密码').fill(user.password);
    await window.getByRole('button', { name: '登录', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: '我的信息' }).waitFor();
    expect(await status(page).textContent()).toBe('未实名认证');
    expect(await page.getByRole('heading', { name: '上传自然人信息（人工认证）' }).count()).toBe(0);

    // Saving a document the register lacks: a mismatch, and the upload is offered.
    await page.getByLabel('身份类型').selectOption({ label: '中华人民共和国大陆地区' });
    await page.getByLabel('证件类型').selectOption({ label: '居民身份证' });
    await page.getByLabel('证件号码').fill(documentNumber);
    await Promise.all([page.waitForURL(/verification=mismatch/), page.getByRole('button', { name: '保存', exact: true }).click()]);
    expect(await page.getByText('实名认证未通过：姓名与证件号码不一致。').isVisible()).toBe(true);
    expect(await status(page).textContent()).toBe('未实名认证');
    const upload = page.getByRole('region', { name: '上传自然人信息（人工认证）' });
    await upload.getByLabel('证件正面').setInputFiles({ name: 'front.png', mimeType: 'image/png', buffer: await documentSide('front') });
    await upload.getByLabel('证件背面').setInputFiles({ name: 'back.png', mimeType: 'image/png', buffer: await documentSide('back') });
    await screenshot(page, 'my-information-upload.png');

    await Promise.all([page.waitForURL(/saved=upload/), upload.getByRole('button', { name: '提交人工审核' }).click()]);
    expect(await status(page).textContent()).toBe('审核中');
    expect(await page.getByText('您的证件已提交人工审核，请耐心等待审核结果。').isVisible()).toBe(true);
    // While a reviewer looks, the identity cannot change.
    expect(await page.getByLabel('证件号码').count()).toBe(0);

    // A reviewer, created as the CLI does, signs in with password + TOTP and approves.
    const reviewer = await createOperator(app, 'reviewer');
    const console = await browser.newPage();
    await signInToConsole(console, app.url, reviewer);
    const row = console.getByRole('row').filter({ hasText: user.loginName });
    await Promise.all([console.waitForURL(/\/console\/cases\/[^/]+$/), row.getByRole('link', { name: `审核 ${user.loginName}` }).click()]);
    expect(await console.getByRole('heading', { level: 1 }).textContent()).toBe('人工实名认证审核');
    await Promise.all([console.waitForURL(/\/console\/queue\?decided=/), console.getByRole('button', { name: '审核通过' }).click()]);
    expect(await console.getByRole('status').textContent()).toBe(`已审核通过：${user.loginName}`);

    // The person comes back to My Information later.
    await page.goto(`${app.url}/portal/me`);
    expect(await status(page).textContent()).toBe('已审核认证');
    expect(await page.getByText('姓名与证件信息不能修改').isVisible()).toBe(true);
    expect(await page.getByRole('heading', { name: '上传自然人信息（人工认证）' }).count()).toBe(0);
    await screenshot(page, 'my-information-reviewed.png');

    const account = (await app.context.accounts.findById(user.account.id))!;
    expect(account.realNameStatus).toBe('reviewed');
    const decision = await app.context.db('audit_events').where({ event: 'review.approved', actor_type: 'operator', actor_id: reviewer.id }).first();
    expect(decision.details).toMatchObject({ accountId: user.account.id });
  });
});
