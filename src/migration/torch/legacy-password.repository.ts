import type { Db } from '../../db/database.js';
import type { LegacyPassword, LegacyScheme } from './legacy-password.js';

/**
 * SQL for legacy_passwords: a migrated account's old hash, read at sign-in until the first success
 * replaces it. (Every password write removes it too: AccountRepository.updatePasswordHash.)
 */
export class LegacyPasswordRepository {
  constructor(private readonly db: Db) {}

  async find(accountId: string, trx: Db = this.db): Promise<LegacyPassword | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(accountId)) return undefined;
    const row = await trx('legacy_passwords').where({ account_id: accountId }).first('scheme', 'hash', 'salt', 'iterations');
    if (!row) return undefined;
    return { scheme: row.scheme as LegacyScheme, hash: row.hash, salt: row.salt ?? null, iterations: row.iterations ?? null };
  }

  /** Deletes the row; false when it was gone already (another sign-in upgraded it first). */
  async remove(accountId: string, trx: Db = this.db): Promise<boolean> {
    return (await trx('legacy_passwords').where({ account_id: accountId }).delete()) > 0;
  }
}
