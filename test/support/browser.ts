/**
 * Headless Debian Chromium through playwright-core for the browser tests: one browser per test
 * file, a fresh context (no cookies, no sessions) per test, screenshots under test-artifacts/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { projectRoot } from '../../src/paths.js';
import { totpCode, type TestOperator } from './review.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const SCREENSHOTS = path.join(projectRoot, 'test-artifacts', 'screenshots');

export class TestBrowser {
  private browser: Browser | undefined;
  private contexts: BrowserContext[] = [];

  async launch(): Promise<void> {
    // CI installs Chromium; a machine without it must fail loudly, never skip the browser tests.
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium fonts-noto-cjk) or set CHROMIUM_PATH`);
    }
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    // launch() gives Chromium a fresh temporary user-data-dir and removes it on close.
    this.browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  }

  /** A fresh context per test; closed by closeContexts() (call it in afterEach). */
  async newPage(options: Parameters<Browser['newContext']>[0] = {}): Promise<Page> {
    const context = await this.browser!.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 860 }, ...options });
    // Fail on the step that is stuck, well inside jest's test timeout.
    context.setDefaultTimeout(8_000);
    this.contexts.push(context);
    return context.newPage();
  }

  async closeContexts(): Promise<void> {
    await Promise.all(this.contexts.map((context) => context.close()));
    this.contexts = [];
  }

  async close(): Promise<void> {
    await this.closeContexts();
    await this.browser?.close();
  }
}

export const screenshot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, name), fullPage: true });

/* What the browser tests do on the project's pages, as a person would. */

/** The page's full width: more than the viewport means it scrolls sideways. */
export const pageWidth = async (page: Page) => Number(await page.evaluate('document.scrollingElement.scrollWidth'));

// The project's type check has no DOM lib: only the widths read are described.
export const overflowsSideways = (page: Page) =>
  page.evaluate(() => {
    const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
    return root.scrollWidth > root.clientWidth;
  });

/** A field by its label as people read it (required fields carry a red *). */
export const label = (scope: Page | Locator, text: string) => scope.getByLabel(new RegExp(`^${text}\\s*\\*?$`));

/** Each submit of a server-rendered form loads a new document. */
export const submit = (page: Page, name: string) => Promise.all([page.waitForEvent('load'), page.getByRole('button', { name, exact: true }).click()]);

/** Waits for the page's level-1 heading `name`. */
export const heading = (page: Page, name: string) => page.getByRole('heading', { level: 1, name }).waitFor();

/** Signs in at the login page's window (自然人登录 or 法人登录) already shown; resolves once the next page has loaded. */
export async function signInAtWindow(page: Page, window: string, loginName: string, password: string): Promise<void> {
  const form = page.getByRole('tabpanel', { name: window, exact: true });
  await form.getByLabel('登录名').fill(loginName);
  await form.getByLabel('密码').fill(password);
  await Promise.all([page.waitForEvent('load'), form.getByRole('button', { name: '登录', exact: true }).click()]);
}

/** An operator signs in to the console with password and TOTP; resolves on the queue. */
export async function signInToConsole(page: Page, appUrl: string, operator: TestOperator): Promise<void> {
  await page.goto(`${appUrl}/console`);
  await page.getByLabel('用户名').fill(operator.username);
  await page.getByLabel('密码').fill(operator.password);
  await page.getByLabel('动态验证码').fill(await totpCode(operator.totpSecret));
  await Promise.all([page.waitForURL(/\/console\/queue$/), page.getByRole('button', { name: '登录' }).click()]);
}
