import { REAL_NAME_SETTLED } from '../accounts/account.types.js';
import type { Db } from '../db/database.js';

export interface EntityClaim {
  uscc: string;
  accountId: string;
  method: 'automatic' | 'manual';
  verifiedAt: Date;
}

/** SQL for the claims that let one USCC verify only one legal account (SPEC §1). */
export class EntityClaimRepository {
  constructor(private readonly db: Db) {}

  /**
   * Whether an account other than `exceptAccountId` holds this USCC verified: by a claim, or — for
   * accounts made verified outside the verification services (CLI, imports) — by profile and status.
   */
  async usccVerified(uscc: string, exceptAccountId?: string, trx: Db = this.db): Promise<boolean> {
    const claims = trx('entity_claims').select(trx.raw('1')).where({ uscc });
    const profiles = trx('legal_profiles as l')
      .join('accounts as a', 'a.id', 'l.account_id')
      .select(trx.raw('1'))
      .where('l.uscc', uscc)
      .whereIn('a.real_name_status', REAL_NAME_SETTLED);
    if (exceptAccountId) {
      claims.whereNot('account_id', exceptAccountId);
      profiles.whereNot('a.id', exceptAccountId);
    }
    const row = await trx.select(trx.raw('exists (?) or exists (?) as verified', [claims, profiles])).first();
    return Boolean(row?.verified);
  }

  /** The login name of the account other than `exceptAccountId` that holds this USCC verified (as usccVerified decides), for a reviewer's warning. */
  async holderOf(uscc: string, exceptAccountId: string, trx: Db = this.db): Promise<{ loginName: string } | undefined> {
    const claimed = await trx('entity_claims as e')
      .join('accounts as a', 'a.id', 'e.account_id')
      .where('e.uscc', uscc)
      .whereNot('e.account_id', exceptAccountId)
      .first('a.login_name');
    const row =
      claimed ??
      (await trx('legal_profiles as l')
        .join('accounts as a', 'a.id', 'l.account_id')
        .where('l.uscc', uscc)
        .whereNot('a.id', exceptAccountId)
        .whereIn('a.real_name_status', REAL_NAME_SETTLED)
        .orderBy('a.real_name_verified_at')
        .first('a.login_name'));
    return row ? { loginName: row.login_name } : undefined;
  }

  /**
   * Claims the USCC for the account, or finds who holds it: returns the holder's account id. Of
   * two concurrent claims, the primary key makes the second wait for the first and then yield.
   */
  async claim(claim: EntityClaim, trx: Db): Promise<string | undefined> {
    const inserted = await trx('entity_claims')
      .insert({ uscc: claim.uscc, account_id: claim.accountId, method: claim.method, verified_at: claim.verifiedAt })
      .onConflict('uscc')
      .ignore()
      .returning('account_id');
    if (inserted.length > 0) return claim.accountId;
    const holder = await trx('entity_claims').where({ uscc: claim.uscc }).first('account_id');
    return holder?.account_id;
  }
}
