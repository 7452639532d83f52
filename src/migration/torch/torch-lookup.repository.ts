import type { Db } from '../../db/database.js';
import type { LookupKind, LoginWindow, OutcomeCase, StoredOutcome } from './torch-lookup.rules.js';

/** SQL for 火炬中心账号检索: the import's recorded outcomes, and whether a unit already has a legal account. */
export class TorchLookupRepository {
  constructor(private readonly db: Db) {}

  /**
   * The outcome recorded for the legacy account with this login key (torch_outcomes.legacy_login_key:
   * the normalised USCC, or the mobile's blind index). Should the export have held the same login
   * twice, a placed record answers before a conflict, and the newer decision before the older.
   */
  async findOutcome(kind: LookupKind, key: string): Promise<StoredOutcome | undefined> {
    const row = await this.db('torch_outcomes as o')
      .leftJoin('accounts as a', 'a.id', 'o.account_id')
      .where({ 'o.kind': kind, 'o.legacy_login_key': key })
      .orderByRaw(`(o."case" = 'conflict'), o.decided_at desc`)
      .first('o.case', 'o.window', this.db.raw('coalesce(a.login_name, o.login_name) as login_name'));
    if (!row) return undefined;
    return { case: row.case as OutcomeCase, loginName: (row.login_name as string | null) ?? null, window: (row.window as LoginWindow | null) ?? null };
  }

  /** Whether a legal account (not disabled) gives this USCC (stored normalised) in its unit information. */
  async legalAccountExists(uscc: string): Promise<boolean> {
    const row = await this.db('legal_profiles as l')
      .join('accounts as a', 'a.id', 'l.account_id')
      .where('a.kind', 'legal')
      .whereNot('a.status', 'disabled')
      .where('l.uscc', uscc)
      .first(this.db.raw('1 as found'));
    return Boolean(row);
  }
}
