import type { AccountRepository } from '../../accounts/account.repository.js';
import type { AuditService } from '../../audit/audit.service.js';
import type { Db } from '../../db/database.js';
import type { PasswordHasher } from '../../security/password-hasher.js';
import { verifyLegacyPassword, type LegacyPassword } from './legacy-password.js';
import type { LegacyPasswordRepository } from './legacy-password.repository.js';

/** Who signed in, for the audit record of an upgrade. */
export interface UpgradeContext {
  ip: string;
  requestId?: string;
}

/**
 * A migrated account's first sign-ins (SPEC §1, §8): the password is checked against the Torch
 * Center's hash until one succeeds; that success stores argon2id and forgets the old hash.
 */
export class LegacyLoginService {
  constructor(
    private readonly db: Db,
    private readonly legacyPasswords: LegacyPasswordRepository,
    private readonly accounts: Pick<AccountRepository, 'updatePasswordHash'>,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditService,
  ) {}

  /** The account's legacy hash, if it still has one. */
  find(accountId: string): Promise<LegacyPassword | undefined> {
    return this.legacyPasswords.find(accountId);
  }

  /**
   * Whether `password` is the legacy one. A wrong one costs an argon2 verification as well: legacy
   * digests take microseconds, and a quick refusal would tell which names are migrated accounts.
   */
  async verify(stored: LegacyPassword, password: string): Promise<boolean> {
    if (await verifyLegacyPassword(stored, password)) return true;
    return this.hasher.verifyAgainstDummy(password);
  }

  /**
   * Stores `password` (just verified against `stored`) as argon2id and deletes the legacy row, in
   * one transaction. Of two first sign-ins at once, the one that deletes the row writes the hash.
   */
  async upgrade(accountId: string, stored: LegacyPassword, password: string, context: UpgradeContext): Promise<void> {
    const hash = await this.hasher.hash(password);
    await this.db.transaction(async (trx) => {
      if (!(await this.legacyPasswords.remove(accountId, trx))) return;
      await this.accounts.updatePasswordHash(accountId, hash, trx);
      await this.audit.record(
        {
          event: 'password.upgraded',
          outcome: 'success',
          actor: { type: 'account', id: accountId },
          subject: { type: 'account', id: accountId },
          ip: context.ip,
          requestId: context.requestId,
          details: { scheme: stored.scheme },
        },
        trx,
      );
    });
  }
}
