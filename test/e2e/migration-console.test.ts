/**
 * The console's migration reports in a real browser (headless Debian Chromium): an administrator
 * signs in with password + TOTP, opens 迁移报告, then a run with its conflicts; on a phone nothing
 * scrolls sideways. Screenshots: test-artifacts/screenshots/console-migration-*.png.
 */
import crypto from 'node:crypto';
import { uniqueUscc } from '../support/accounts.js';
import { pageWidth, screenshot, signInToConsole, TestBrowser } from '../support/browser.js';
import { createOperator } from '../support/review.js';
import { startTestApp, unique, uniqueMobile, type TestApp } from '../support/test-app.js';

describe('the console’s migration reports in a real browser', () => {
  let app: TestApp;
  const browser = new TestBrowser();

  beforeAll(async () => {
    app = await startTestApp();
    await browser.launch();
  }, 60_000);
  afterEach(() => browser.closeContexts());
  afterAll(async () => {
    await browser.close();
    await app?.close();
  });

  /** An apply run as the import leaves it: figures per case and a few records it could not place. */
  async function seedRun() {
    const { db, crypt } = app.context;
    const dryRun = crypto.randomUUID();
    const apply = crypto.randomUUID();
    // Newer than any run other test files make meanwhile: the list shows the newest first.
    const started = Date.now() + 24 * 3600_000;
    const file = `/srv/torch/export-${unique('')}.jsonl`;
    await db('torch_runs').insert([
      { id: dryRun, mode: 'dry_run', file, status: 'completed', actor: 'cli', counts: JSON.stringify({ E1: 812, E2: 95, E3: 7, E4: 31, P1: 2204, P2: 140, P3: 12, P4: 58, conflict: 9, malformed: 4 }), started_at: new Date(started), finished_at: new Date(started + 41_000) },
      { id: apply, mode: 'apply', file, status: 'completed', actor: 'cli', counts: JSON.stringify({ E1: 812, E2: 95, E3: 7, E4: 31, P1: 2204, P2: 140, P3: 12, P4: 58, conflict: 9, malformed: 4 }), started_at: new Date(started + 600_000), finished_at: new Date(started + 652_000) },
    ]);
    const mobile = uniqueMobile();
    const outcomes = [
      { kind: 'enterprise', login: '91110108MA01ABCD1X', loginName: null, reason: 'uscc_check_character' },
      { kind: 'enterprise', login: uniqueUscc(), loginName: `HJ_${uniqueUscc()}`, reason: 'hj_name_taken' },
      { kind: 'personal', login: mobile, loginName: `HJ_${mobile}`, reason: 'hj_name_taken' },
      { kind: 'personal', login: uniqueMobile(), loginName: null, reason: 'malformed: password_hash (md5 of the wrong length)' },
      { kind: 'personal', login: '1380013', loginName: null, reason: 'malformed: mobile' },
    ] as const;
    for (const outcome of outcomes) {
      const personal = outcome.kind === 'personal';
      await db('torch_outcomes').insert({
        legacy_id: unique('HJ-'),
        kind: outcome.kind,
        legacy_login_encrypted: personal ? crypt.encrypt(outcome.login) : outcome.login,
        legacy_login_key: personal ? crypt.blindIndex(outcome.login) : outcome.login,
        case: 'conflict',
        login_name: outcome.loginName,
        reason: outcome.reason,
        run_id: apply,
      });
    }
    return { apply, mobile };
  }

  test('when an administrator opens 迁移报告 and a run, then the runs, the figures and the conflicts show, mobiles masked, and nothing scrolls sideways on a phone', async () => {
    const { apply, mobile } = await seedRun();
    const admin = await createOperator(app, 'admin');
    const page = await browser.newPage();
    await signInToConsole(page, app.url, admin);

    await Promise.all([page.waitForURL(/\/console\/migration$/), page.getByRole('link', { name: '迁移报告' }).click()]);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('火炬中心用户转移报告');
    const row = page.locator(`tr[data-run="${apply}"]`);
    expect(await row.textContent()).toContain('正式导入');
    await screenshot(page, 'console-migration-runs.png');

    await Promise.all([page.waitForURL(new RegExp(`/console/migration/runs/${apply}$`)), row.getByRole('link').click()]);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('转移运行详情');
    const conflicts = page.getByRole('table', { name: '本次运行未能转移的记录及原因' });
    expect(await conflicts.locator('tbody tr').count()).toBe(5);
    expect(await page.content()).not.toContain(mobile);
    expect(await conflicts.textContent()).toContain(`HJ_${mobile.slice(0, 3)}****${mobile.slice(7)}`);
    await screenshot(page, 'console-migration-run.png');

    await page.setViewportSize({ width: 375, height: 812 });
    expect(await pageWidth(page)).toBeLessThanOrEqual(375);
    await screenshot(page, 'console-migration-run-phone.png');
    await page.goto(`${app.url}/console/migration`);
    expect(await pageWidth(page)).toBeLessThanOrEqual(375);
    await screenshot(page, 'console-migration-runs-phone.png');
  });

  test('when a reviewer opens the reports’ address, then the page says they are for administrators', async () => {
    const reviewer = await createOperator(app, 'reviewer');
    const page = await browser.newPage();
    await signInToConsole(page, app.url, reviewer);
    expect(await page.getByRole('link', { name: '迁移报告' }).count()).toBe(0);
    const response = await page.goto(`${app.url}/console/migration`);
    expect(response!.status()).toBe(403);
    expect(await page.textContent('body')).toContain('迁移报告仅限管理员查看。');
    await screenshot(page, 'console-migration-forbidden.png');
  });
});
