/**
 * The review console in a real browser (headless Debian Chromium through playwright-core): a
 * reviewer signs in with password + TOTP, opens the queue, sees the case with both images and
 * approves it. Screenshots land in test-artifacts/screenshots/console-*.png.
 */
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { screenshot, TestBrowser } from '../support/browser.js';
import { createOperator, createApplicant, totpCode } from '../support/review.js';
import { startTestApp, type TestApp } from '../support/test-app.js';


/** A sample document side (an SVG drawn by sharp), so the screenshots show what a reviewer sees. */
function sampleDocument(side: 'front' | 'back', format: 'jpeg' | 'png'): Promise<Buffer> {
  const lines =
    side === 'front'
      ? ['姓名  李四', '性别  男   民族  汉', '出生  1985 年 6 月 1 日', '住址  北京市海淀区', '公民身份号码  样本 SAMPLE']
      : ['中华人民共和国', '居民身份证', '签发机关  样本公安局', '有效期限  2020.01.01-2040.01.01'];
  const text = lines.map((line, i) => `<text x="40" y="${80 + i * 52}" font-size="30" fill="#1f2329" font-family="Noto Sans CJK SC, sans-serif">${line}</text>`).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="856" height="540">
    <rect width="856" height="540" rx="28" fill="#dfe9f3"/><rect x="12" y="12" width="832" height="516" rx="22" fill="none" stroke="#7a8fa6" stroke-width="3"/>
    ${side === 'front' ? '<rect x="600" y="60" width="200" height="250" fill="#c4d2e0"/>' : '<circle cx="140" cy="330" r="70" fill="#e3b7b3"/>'}
    ${text}<text x="560" y="500" font-size="44" fill="#b3261e" font-family="Noto Sans CJK SC, sans-serif" opacity=".6">样本 SAMPLE</text></svg>`;
  const image = sharp(Buffer.from(svg)).flatten({ background: '#ffffff' });
  return format === 'jpeg' ? image.jpeg({ quality: 85 }).toBuffer() : image.png().toBuffer();
}

describe('the review console in a real browser', () => {
  let app: TestApp;
  const browser = new TestBrowser();

  beforeAll(async () => {
    app = await startTestApp();
    await browser.launch();
  }, 60_000);

  afterAll(async () => {
    await browser.close();
    await app?.close();
  });

  const shot = screenshot;
  // The project's type check has no DOM lib: the image is described by the two fields read.
  const imageLoaded = (page: Page, alt: string) =>
    page.getByRole('img', { name: alt }).evaluate((img) => {
      const image = img as unknown as { complete: boolean; naturalWidth: number };
      return image.complete && image.naturalWidth > 0;
    });

  test('when a reviewer signs in with password and TOTP, opens the queue and the case, then both images show, and approving makes the account 已审核认证', async () => {
    const applicant = await createApplicant(app);
    const { uploads, reviews } = app.context;
    const front = await uploads.store({ ownerAccountId: applicant.account.id, purpose: 'identity_document_front', bytes: await sampleDocument('front', 'jpeg') });
    const back = await uploads.store({ ownerAccountId: applicant.account.id, purpose: 'identity_document_back', bytes: await sampleDocument('back', 'png') });
    const reviewCase = await reviews.openNaturalVerificationCase(
      { accountId: applicant.account.id, frontUploadId: front.id, backUploadId: back.id },
      { type: 'account', id: applicant.account.id },
    );
    const reviewer = await createOperator(app);

    try {
      const page = await browser.newPage();
      await page.goto(`${app.url}/console`);
      expect(new URL(page.url()).pathname).toBe('/console/sign-in');
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('审核人员登录');
      await shot(page, 'console-sign-in.png');

      // A wrong code first: the generic message, the username kept, nothing else said.
      await page.getByLabel('用户名').fill(reviewer.username);
      await page.getByLabel('密码').fill(reviewer.password);
      await page.getByLabel('动态验证码').fill(await totpCode(reviewer.totpSecret, -600));
      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: '登录' }).click()]);
      expect(await page.getByRole('alert').textContent()).toContain('用户名、密码或动态验证码错误');
      expect(await page.getByLabel('用户名').inputValue()).toBe(reviewer.username);
      await shot(page, 'console-sign-in-error.png');

      await page.getByLabel('密码').fill(reviewer.password);
      await page.getByLabel('动态验证码').fill(await totpCode(reviewer.totpSecret));
      await Promise.all([page.waitForURL(/\/console\/queue$/), page.getByRole('button', { name: '登录' }).click()]);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('待审核队列');
      const row = page.getByRole('row').filter({ hasText: applicant.loginName });
      expect(await row.getByRole('cell').nth(3).textContent()).toBe('李四');
      expect(await row.textContent()).not.toContain(applicant.documentNumber);
      await shot(page, 'console-queue.png');
      // On a phone the table scrolls in its own box; the page does not.
      await page.setViewportSize({ width: 390, height: 844 });
      expect(Number(await page.evaluate('document.scrollingElement.scrollWidth'))).toBeLessThanOrEqual(390);
      await shot(page, 'console-queue-narrow.png');
      await page.setViewportSize({ width: 1280, height: 860 });

      await Promise.all([page.waitForURL(new RegExp(`/console/cases/${reviewCase.id}$`)), row.getByRole('link', { name: `审核 ${applicant.loginName}` }).click()]);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('人工实名认证审核');
      expect(await imageLoaded(page, '证件正面图片')).toBe(true);
      expect(await imageLoaded(page, '证件背面图片')).toBe(true);
      // The full number is behind a deliberate click, marked sensitive.
      const fullNumber = page.locator('[data-sensitive="document-number"]');
      expect(await fullNumber.isVisible()).toBe(false);
      await page.getByText('显示完整证件号码').click();
      expect(await fullNumber.textContent()).toBe(applicant.documentNumber);
      await shot(page, 'console-case.png');
      await page.setViewportSize({ width: 390, height: 844 });
      expect(Number(await page.evaluate('document.scrollingElement.scrollWidth'))).toBeLessThanOrEqual(390);
      await shot(page, 'console-case-narrow.png');
      await page.setViewportSize({ width: 1280, height: 860 });

      // Rejecting needs a reason: the empty form comes back with the field message.
      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: '审核不通过' }).click()]);
      expect(await page.locator('#reject-reason-error').textContent()).toBe('请填写不通过的原因（申请人将看到该原因）');
      await shot(page, 'console-case-reason-required.png');

      await Promise.all([page.waitForURL(/\/console\/queue\?decided=/), page.getByRole('button', { name: '审核通过' }).click()]);
      expect(await page.getByRole('status').textContent()).toBe(`已审核通过：${applicant.loginName}`);
      expect(await page.getByRole('row').filter({ hasText: applicant.loginName }).count()).toBe(0);
      await shot(page, 'console-approved.png');
      expect((await app.context.accounts.findById(applicant.account.id))!.realNameStatus).toBe('reviewed');

      await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: 'English' }).click()]);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Review queue');
      await shot(page, 'console-queue-en.png');

      await Promise.all([page.waitForURL(/\/console\/sign-in\?signed_out=1$/), page.getByRole('button', { name: 'Sign out' }).click()]);
      expect(await page.getByRole('status').textContent()).toBe('You have signed out of the review console.');
    } finally {
      await browser.closeContexts();
    }
  });
});
