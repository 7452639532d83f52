/**
 * Migrated Torch Center accounts for tests (SPEC §8), made the way the import leaves them: an
 * account whose password_hash is NULL, with a legacy_passwords row holding the old system's hash.
 * The hashes are computed here, independently of the code under test.
 */
import crypto from 'node:crypto';
import bcrypt from 'bcryptjs';
import type { LegacyScheme } from '../../src/migration/torch/legacy-password.js';
import type { CreatedAccount } from './accounts.js';
import type { TestApp } from './test-app.js';

/** A password of the legacy system: weaker than today's policy, as old passwords often are. */
export const LEGACY_PASSWORD = 'torch2019';

export interface LegacyRow {
  scheme: LegacyScheme;
  hash: string;
  salt: string | null;
  iterations: number | null;
  /** What the hash was made from (not stored). */
  password: string;
}

const hex = (algorithm: string, text: string) => crypto.createHash(algorithm).update(text, 'utf8').digest('hex');

/** `password` hashed under `scheme` as the legacy system stored it. */
export function legacyHash(scheme: LegacyScheme, password = LEGACY_PASSWORD): LegacyRow {
  const salt = 'Zq7#盐';
  const plain = (hash: string): LegacyRow => ({ scheme, hash, salt: null, iterations: null, password });
  const salted = (hash: string): LegacyRow => ({ scheme, hash, salt, iterations: null, password });
  switch (scheme) {
    case 'md5':
    case 'sha1':
    case 'sha256':
    case 'sm3':
      return plain(hex(scheme, password));
    case 'md5_salt_prefix':
      return salted(hex('md5', salt + password));
    case 'md5_salt_suffix':
      return salted(hex('md5', password + salt));
    case 'sha256_salt_prefix':
      return salted(hex('sha256', salt + password));
    case 'sha256_salt_suffix':
      return salted(hex('sha256', password + salt));
    case 'bcrypt':
      return plain(bcrypt.hashSync(password, 4));
    case 'pbkdf2_sha256':
      return { scheme, hash: crypto.pbkdf2Sync(password, salt, 1000, 32, 'sha256').toString('hex'), salt, iterations: 1000, password };
  }
}

/** Turns `created` into a migrated account: no argon2 hash, the legacy row instead. */
export async function migrate(app: TestApp, created: CreatedAccount, legacy: LegacyRow = legacyHash('md5')): Promise<CreatedAccount> {
  const { password, ...row } = legacy;
  await app.context.db.transaction(async (trx) => {
    await trx('accounts').where({ id: created.account.id }).update({ password_hash: null });
    await trx('legacy_passwords').insert({ account_id: created.account.id, ...row });
  });
  return { ...created, password };
}

/** The account's stored hash and legacy row, as the upgrade leaves them. */
export async function passwordState(app: TestApp, accountId: string) {
  const account = await app.context.db('accounts').where({ id: accountId }).first('password_hash');
  const legacy = await app.context.db('legacy_passwords').where({ account_id: accountId }).first();
  return { passwordHash: account?.password_hash as string | null, legacy: legacy as Record<string, unknown> | undefined };
}
