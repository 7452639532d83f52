/**
 * The Torch import's SQL, set-based: each look-up is one query for a whole batch, each table's
 * inserts one statement for all of the batch's rows (src/db/statements.ts), the service running a
 * batch's statements together.
 */
import { REAL_NAME_SETTLED } from '../../accounts/account.types.js';
import type { Db } from '../../db/database.js';
import { unnestInsert, type Statement } from '../../db/statements.js';
import type { TorchCase, TorchWindow, NameHolder } from './torch.rules.js';
import type { LegacyKind } from './legacy-record.js';

export interface OutcomeRow {
  legacyId: string;
  kind: LegacyKind | null;
  /** Enterprise: the USCC as given, upper case; personal: the mobile encrypted. */
  legacyLoginStored: string | null;
  legacyLoginKey: string | null;
  case: TorchCase | 'conflict';
  accountId: string | null;
  loginName: string | null;
  window: TorchWindow | null;
  reason: string | null;
  line: number;
}

export interface NewAccountRow {
  id: string;
  kind: 'natural' | 'legal';
  loginName: string;
  loginNameKey: string;
  mobileEncrypted: string;
  mobileIndex: string;
  email: string | null;
}

export interface NaturalProfileRow {
  accountId: string;
  name: string;
}

export interface LegalProfileRow {
  accountId: string;
  orgName: string;
  orgNameKey: string;
  uscc: string;
}

export interface LegacyPasswordRow {
  accountId: string;
  scheme: string;
  hash: string;
  salt: string | null;
  iterations: number | null;
}

export class TorchImportRepository {
  constructor(private readonly db: Db) {}

  async existingOutcomes(legacyIds: string[], conn: Db): Promise<Map<string, OutcomeRow>> {
    const rows = await conn('torch_outcomes').whereRaw('legacy_id = any(?::text[])', [legacyIds]).select('*');
    return new Map(rows.map((row) => [row.legacy_id as string, toOutcome(row)]));
  }

  async holders(nameKeys: string[], conn: Db): Promise<Map<string, NameHolder>> {
    const { rows } = await conn.raw(
      // A correlated subquery, not a join: a join lets the planner hash the whole legal_profiles
      // table for every batch, where only the few matched accounts need their USCC.
      `select a.id, a.kind, a.login_name, a.login_name_key, a.mobile_index,
              (select l.uscc from legal_profiles l where l.account_id = a.id) as uscc
         from accounts a
        where a.login_name_key = any(?::text[])`,
      [nameKeys],
    );
    return new Map(
      (rows as Array<Record<string, string | null>>).map((row) => [
        row.login_name_key!,
        { accountId: row.id!, kind: row.kind as NameHolder['kind'], loginName: row.login_name!, uscc: row.uscc, mobileIndex: row.mobile_index! },
      ]),
    );
  }

  /**
   * Per USCC, the legal account that speaks for the entity: the claim holder, else the oldest. One
   * index probe per USCC (lateral): a plain join lets the planner hash all of accounts every batch.
   */
  async legalAccounts(usccs: string[], conn: Db): Promise<Map<string, { accountId: string; loginName: string }>> {
    const { rows } = await conn.raw(
      `select u.uscc, e.id, e.login_name
         from unnest(?::text[]) as u(uscc)
         cross join lateral (
           select a.id, a.login_name
             from legal_profiles l
             join accounts a on a.id = l.account_id
             left join entity_claims c on c.uscc = l.uscc and c.account_id = a.id
            where l.uscc = u.uscc
            order by (c.account_id is null), a.created_at, a.id
            limit 1
         ) e`,
      [usccs],
    );
    return new Map((rows as Array<Record<string, string>>).map((row) => [row.uscc!, { accountId: row.id!, loginName: row.login_name! }]));
  }

  /** Per mobile blind index, the earliest-verified natural account reserving it. */
  async verifiedNaturals(mobileIndexes: string[], conn: Db): Promise<Map<string, { accountId: string; loginName: string }>> {
    const { rows } = await conn.raw(
      `select distinct on (mobile_index) mobile_index, id, login_name
         from accounts
        where mobile_index = any(?::text[]) and kind = 'natural' and real_name_status = any(?::text[])
        order by mobile_index, real_name_verified_at nulls last, created_at, id`,
      [mobileIndexes, [...REAL_NAME_SETTLED]],
    );
    return new Map((rows as Array<Record<string, string>>).map((row) => [row.mobile_index!, { accountId: row.id!, loginName: row.login_name! }]));
  }

  /** Active, unverified, without a platform password: the legacy hash stands in until the first sign-in. */
  accountsInsert(accounts: NewAccountRow[]): Statement {
    return unnestInsert('accounts', [
      ['id', 'uuid', accounts.map((a) => a.id)],
      ['kind', 'text', accounts.map((a) => a.kind)],
      ['login_name', 'text', accounts.map((a) => a.loginName)],
      ['login_name_key', 'text', accounts.map((a) => a.loginNameKey)],
      ['mobile_encrypted', 'text', accounts.map((a) => a.mobileEncrypted)],
      ['mobile_index', 'text', accounts.map((a) => a.mobileIndex)],
      ['email', 'text', accounts.map((a) => a.email)],
    ]);
  }

  naturalProfilesInsert(profiles: NaturalProfileRow[]): Statement {
    return unnestInsert('natural_profiles', [
      ['account_id', 'uuid', profiles.map((p) => p.accountId)],
      ['name', 'text', profiles.map((p) => p.name)],
    ]);
  }

  /** Torch enterprises are domestic enterprises identified by their USCC. */
  legalProfilesInsert(profiles: LegalProfileRow[]): Statement {
    return unnestInsert('legal_profiles', [
      ['account_id', 'uuid', profiles.map((p) => p.accountId)],
      ['org_name', 'text', profiles.map((p) => p.orgName)],
      ['org_name_key', 'text', profiles.map((p) => p.orgNameKey)],
      ['registration_region', 'text', profiles.map(() => 'domestic')],
      ['org_type', 'text', profiles.map(() => 'enterprise')],
      ['uscc', 'text', profiles.map((p) => p.uscc)],
    ]);
  }

  legacyPasswordsInsert(passwords: LegacyPasswordRow[]): Statement {
    return unnestInsert('legacy_passwords', [
      ['account_id', 'uuid', passwords.map((p) => p.accountId)],
      ['scheme', 'text', passwords.map((p) => p.scheme)],
      ['hash', 'text', passwords.map((p) => p.hash)],
      ['salt', 'text', passwords.map((p) => p.salt)],
      ['iterations', 'integer', passwords.map((p) => p.iterations)],
    ]);
  }

  outcomesInsert(outcomes: OutcomeRow[], runId: string): Statement {
    return unnestInsert('torch_outcomes', [
      ['legacy_id', 'text', outcomes.map((o) => o.legacyId)],
      ['kind', 'text', outcomes.map((o) => o.kind)],
      ['legacy_login_encrypted', 'text', outcomes.map((o) => o.legacyLoginStored)],
      ['legacy_login_key', 'text', outcomes.map((o) => o.legacyLoginKey)],
      ['case', 'text', outcomes.map((o) => o.case)],
      ['account_id', 'uuid', outcomes.map((o) => o.accountId)],
      ['login_name', 'text', outcomes.map((o) => o.loginName)],
      ['window', 'text', outcomes.map((o) => o.window)],
      ['reason', 'text', outcomes.map((o) => o.reason)],
      ['run_id', 'uuid', outcomes.map(() => runId)],
      ['line', 'integer', outcomes.map((o) => o.line)],
    ]);
  }

  /** Part of every batch's write: the run is alive (see TorchReportService, interrupted runs). */
  heartbeat(runId: string): Statement {
    return { sql: 'update torch_runs set heartbeat_at = now() where id = ?', bindings: [runId] };
  }

  async startRun(run: { id: string; mode: 'dry_run' | 'apply'; file: string; actor: string }): Promise<void> {
    await this.db('torch_runs').insert({ id: run.id, mode: run.mode, file: run.file, actor: run.actor });
  }

  async finishRun(id: string, status: 'completed' | 'failed', counts: object): Promise<void> {
    await this.db('torch_runs').where({ id }).update({ status, counts: JSON.stringify(counts), finished_at: this.db.fn.now() });
  }
}

export function toOutcome(row: Record<string, unknown>): OutcomeRow {
  return {
    legacyId: row.legacy_id as string,
    kind: (row.kind as LegacyKind | null) ?? null,
    legacyLoginStored: (row.legacy_login_encrypted as string | null) ?? null,
    legacyLoginKey: (row.legacy_login_key as string | null) ?? null,
    case: row.case as OutcomeRow['case'],
    accountId: (row.account_id as string | null) ?? null,
    loginName: (row.login_name as string | null) ?? null,
    window: (row.window as TorchWindow | null) ?? null,
    reason: (row.reason as string | null) ?? null,
    line: (row.line as number | null) ?? 0,
  };
}
