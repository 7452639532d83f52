/**
 * Manual real-name verification of a legal entity end to end in a real browser: a unit signs in
 * at the portal through 法人登录, edits 修改法人信息 (the registry does not know the unit:
 * mismatch), uploads the business licence, the legal representative's document and the stamped
 * authorization letter (审核中), a reviewer signs in to the console with password + TOTP and
 * approves, and My Information then shows 已审核认证. Screenshots: legal-me-*.png (one at 375 px)
 * and console-legal-case.png.
 */
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { overflowsSideways, screenshot, signInToConsole, TestBrowser } from '../support/browser.js';
import { uniqueName } from '../support/identities.js';
import { createUnit } from '../support/legal-review.js';
import { createOperator } from '../support/review.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** A sample document (an SVG drawn by sharp), so the screenshots show what a reviewer sees. */
function sampleDocument(kind: 'licence' | 'id' | 'letter'): Promise<Buffer> {
  const lines = {
    licence: ['营业执照', '统一社会信用代码  样本 SAMPLE', '名称  样本科技有限公司', '法定代表人  样本'],
    id: ['中华人民共和国', '居民身份证', '姓名  样本', '公民身份号码  样本 SAMPLE'],
    letter: ['授权书', '兹授权本单位员工办理', '科技部政务服务平台实名认证事宜。', '（单位公章）'],
  }[kind];
  const text = lines.map((line, i) => `<text x="40" y="${90 + i * 60}" font-size="32" fill="#1f2329" font-family="Noto Sans CJK SC, sans-serif">${line}</text>`).join('');
  const seal = kind === 'letter' ? '<circle cx="640" cy="380" r="90" fill="none" stroke="#c8102e" stroke-width="8" opacity=".8"/>' : '';
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="856" height="540"><rect width="856" height="540" rx="12" fill="#f6f1e3"/>${text}${seal}</svg>`;
  return sharp(Buffer.from(svg)).flatten({ background: '#ffffff' }).jpeg({ quality: 85 }).toBuffer();
}

describe('manual verification of a legal entity in a real browser', () => {
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

  test('when a unit the registry does not know uploads its three documents and a reviewer approves with TOTP, then My Information shows 已审核认证', async () => {
    const unit = await createUnit(app);

    // The unit signs in at the portal through the 法人登录 window.
    const page = await browser.newPage();
    await page.goto(`${app.url}/portal/login?login_type=legal`);
    const window = page.getByRole('tabpanel', { name: '法人登录', exact: true });
    await window.getByLabel('登录名').fill(unit.loginName);
    await window.getByLabel('密码').fill(unit.password);
    await window.getByRole('button', { name: '登录', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: '我的信息' }).waitFor();
    expect(await status(page).textContent()).toBe('未实名认证');
    const form = page.getByRole('region', { name: '修改法人信息' });
    await form.waitFor();
    await screenshot(page, 'legal-me-form.png');

    // 修改法人信息: a new unit name and legal representative the registry does not know.
    await form.getByLabel('法人单位名称').fill(`${uniqueName()}新材料科技有限公司`);
    await form.getByLabel('法人类型').selectOption({ label: '企业法人' });
    const representative = form.getByRole('group', { name: '法定代表人信息' });
    await representative.getByLabel('姓名').fill(uniqueName());
    await Promise.all([page.waitForURL(/legal_outcome=mismatch/), form.getByRole('button', { name: '保存', exact: true }).click()]);
    expect(await page.getByText('法人信息已保存。').isVisible()).toBe(true);
    expect(await page.getByText('实名认证未通过：单位名称、统一社会信用代码与法定代表人姓名不一致。', { exact: false }).isVisible()).toBe(true);
    expect(await status(page).textContent()).toBe('未实名认证');
    await screenshot(page, 'legal-me-mismatch.png');

    // On a phone the page fits the screen: no sideways scrolling.
    await page.setViewportSize({ width: 375, height: 812 });
    expect(await overflowsSideways(page)).toBe(false);
    await screenshot(page, 'legal-me-375.png');
    await page.setViewportSize({ width: 1280, height: 860 });

    // 上传法人信息: the three documents, then 审核中.
    const upload = page.getByRole('region', { name: '上传法人信息（人工认证）' });
    await upload.getByLabel('营业执照（或法人登记证书）').setInputFiles({ name: 'licence.jpg', mimeType: 'image/jpeg', buffer: await sampleDocument('licence') });
    await upload.getByLabel('法定代表人证件').setInputFiles({ name: 'id.jpg', mimeType: 'image/jpeg', buffer: await sampleDocument('id') });
    await upload.getByLabel('加盖公章的授权书').setInputFiles({ name: 'letter.jpg', mimeType: 'image/jpeg', buffer: await sampleDocument('letter') });
    await screenshot(page, 'legal-me-upload.png');
    await Promise.all([page.waitForURL(/legal_saved=upload/), upload.getByRole('button', { name: '提交人工审核' }).click()]);
    expect(await status(page).textContent()).toBe('审核中');
    expect(await page.getByText('法人信息已提交人工审核，请耐心等待审核结果。').isVisible()).toBe(true);
    // While a reviewer looks, the unit's identity cannot change.
    expect(await page.getByLabel('法人单位名称').count()).toBe(0);

    // A reviewer signs in with password + TOTP, opens the unit's case and approves.
    const reviewer = await createOperator(app, 'reviewer');
    const console = await browser.newPage();
    await signInToConsole(console, app.url, reviewer);
    const row = console.getByRole('row').filter({ hasText: unit.loginName });
    expect(await row.getByText('法人实名认证').isVisible()).toBe(true);
    await Promise.all([console.waitForURL(/\/console\/cases\/[^/]+$/), row.getByRole('link', { name: `审核 ${unit.loginName}` }).click()]);
    expect(await console.getByRole('heading', { level: 1 }).textContent()).toBe('法人人工实名认证审核');
    for (const label of ['营业执照（或法人登记证书）', '法定代表人证件', '加盖公章的授权书']) {
      const loaded = await console.getByRole('img', { name: `${label}图片` }).evaluate((img) => {
        const image = img as unknown as { complete: boolean; naturalWidth: number };
        return image.complete && image.naturalWidth > 0;
      });
      expect([label, loaded]).toEqual([label, true]);
    }
    await console.getByText('显示法定代表人完整证件号码').click();
    await screenshot(console, 'console-legal-case.png');
    await Promise.all([console.waitForURL(/\/console\/queue\?decided=/), console.getByRole('button', { name: '审核通过' }).click()]);
    expect(await console.getByRole('status').textContent()).toBe(`已审核通过：${unit.loginName}`);

    // The unit comes back to My Information later.
    await page.goto(`${app.url}/portal/me`);
    expect(await status(page).textContent()).toBe('已审核认证');
    expect(await page.getByText('单位信息与法定代表人身份信息不能修改', { exact: false }).isVisible()).toBe(true);
    expect(await page.getByRole('heading', { name: '上传法人信息（人工认证）' }).count()).toBe(0);
    await screenshot(page, 'legal-me-reviewed.png');

    expect((await app.context.accounts.findById(unit.account.id))!.realNameStatus).toBe('reviewed');
    const claim = await app.context.db('entity_claims').where({ account_id: unit.account.id }).first();
    expect(claim).toMatchObject({ uscc: unit.account.legal!.uscc, method: 'manual' });
  });
});
