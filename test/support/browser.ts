/**
 * Headless Debian Chromium through playwright-core for the browser tests: one browser per test
 * file, a fresh context (no cookies, no sessions) per test, screenshots under test-artifacts/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { projectRoot } from '../../src/paths.js';

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
