import crypto from 'node:crypto';
import { validateUscc } from '../../src/accounts/identity-documents.js';
import type { NewAccount } from '../../src/accounts/account.service.js';
import type { Account } from '../../src/accounts/account.types.js';
import { STRONG_PASSWORD, unique, uniqueMobile, type TestApp } from './test-app.js';

const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

/** A random unified social credit code with a correct check character. */
export function uniqueUscc(): string {
  const body =
    '91' + // enterprise registered at a market regulator
    '110108' + // a Beijing district code
    Array.from({ length: 9 }, () => USCC_ALPHABET[crypto.randomInt(0, USCC_ALPHABET.length)]).join('');
  const candidate = [...USCC_ALPHABET].map((check) => body + check).find((code) => validateUscc(code).ok);
  if (!candidate) throw new Error(`no check character for ${body}`);
  return candidate;
}

/**
 * A loopback address of its own for each test's user agent (sent as X-Forwarded-For to an app
 * started with TRUST_PROXY=true), so per-address login limits never leak between tests.
 */
export function uniqueIp(): string {
  return `127.${crypto.randomInt(1, 255)}.${crypto.randomInt(0, 256)}.${crypto.randomInt(1, 255)}`;
}

export interface CreatedAccount {
  account: Account;
  loginName: string;
  password: string;
  window: 'natural' | 'legal';
}

export async function createNaturalAccount(app: TestApp, extra: Partial<NewAccount> = {}): Promise<CreatedAccount> {
  const loginName = extra.loginName ?? unique('nat');
  const password = extra.password ?? STRONG_PASSWORD;
  const account = await app.context.accountService.create(
    { kind: 'natural', loginName, password, mobile: uniqueMobile(), name: '张三', ...extra },
    { type: 'cli' },
  );
  return { account, loginName, password, window: 'natural' };
}

export async function createLegalAccount(app: TestApp, extra: Partial<NewAccount> = {}): Promise<CreatedAccount> {
  const loginName = extra.loginName ?? unique('org');
  const password = extra.password ?? STRONG_PASSWORD;
  const account = await app.context.accountService.create(
    { kind: 'legal', loginName, password, mobile: uniqueMobile(), orgName: `测试科技有限公司${unique('')}`, uscc: uniqueUscc(), ...extra },
    { type: 'cli' },
  );
  return { account, loginName, password, window: 'legal' };
}

/** The credentials as the login form takes them. */
export function credentials(created: CreatedAccount) {
  return { window: created.window, loginName: created.loginName, password: created.password };
}
