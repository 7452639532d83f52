/**
 * The Torch import's report (SPEC §8), read by `torch report` and the console's migration view:
 * the latest run and the recorded outcomes, one per legacy account, in legacy-id order.
 */
import type { Db } from '../../db/database.js';
import type { PiiCrypto } from '../../security/pii-crypto.js';
import type { LegacyKind } from './legacy-record.js';
import { toOutcome } from './torch-import.repository.js';
import { OUTCOME_CASES, type RunCounts, type RunMode } from './torch-import.service.js';
import type { TorchCase, TorchWindow } from './torch.rules.js';

export interface TorchRun {
  id: string;
  mode: RunMode;
  file: string;
  status: 'running' | 'completed' | 'failed';
  counts: Partial<RunCounts>;
  actor: string;
  startedAt: Date;
  finishedAt: Date | null;
}

/** An outcome as operators read it: the legacy login in clear (the report is theirs, not the public's). */
export interface ReportedOutcome {
  legacyId: string;
  kind: LegacyKind | null;
  legacyLogin: string | null;
  case: TorchCase | 'conflict';
  accountId: string | null;
  loginName: string | null;
  window: TorchWindow | null;
  reason: string | null;
  /** The line of the export it was read from, in the run that decided it. */
  line: number;
  runId: string;
  decidedAt: Date;
}

export class TorchReportService {
  constructor(
    private readonly db: Db,
    private readonly crypt: PiiCrypto,
  ) {}

  /** The newest run (of `mode`, if given), or the run `id`. */
  async latestRun(mode?: RunMode, id?: string): Promise<TorchRun | undefined> {
    if (id !== undefined && !/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const query = this.db('torch_runs').orderBy([{ column: 'started_at', order: 'desc' }, { column: 'id', order: 'desc' }]).first('*');
    if (mode) query.where({ mode });
    if (id) query.where({ id });
    const row = await query;
    if (!row) return undefined;
    return {
      id: row.id,
      mode: row.mode,
      file: row.file,
      status: row.status,
      counts: row.counts ?? {},
      actor: row.actor,
      startedAt: new Date(row.started_at),
      finishedAt: row.finished_at ? new Date(row.finished_at) : null,
    };
  }

  /** How many legacy accounts ended in each case, over every run so far. */
  async caseCounts(): Promise<Record<TorchCase | 'conflict', number>> {
    const rows = await this.db('torch_outcomes').groupBy('case').select('case').count<Array<{ case: string; count: string }>>('* as count');
    const counts = Object.fromEntries(OUTCOME_CASES.map((c) => [c, 0])) as Record<TorchCase | 'conflict', number>;
    for (const row of rows) counts[row.case as TorchCase | 'conflict'] = Number(row.count);
    return counts;
  }

  /** A page of outcomes after `after` (a legacy id), optionally of one case: keyset paging for any size. */
  async outcomes(options: { after?: string; limit?: number; case?: TorchCase | 'conflict' } = {}): Promise<ReportedOutcome[]> {
    const query = this.db('torch_outcomes').orderBy('legacy_id').limit(options.limit ?? 100).select('*');
    if (options.after !== undefined) query.where('legacy_id', '>', options.after);
    if (options.case) query.where('case', options.case);
    const rows = await query;
    return rows.map((row) => {
      const outcome = toOutcome(row);
      const stored = outcome.legacyLoginStored;
      return {
        legacyId: outcome.legacyId,
        kind: outcome.kind,
        legacyLogin: stored === null ? null : outcome.kind === 'personal' ? this.crypt.decrypt(stored) : stored,
        case: outcome.case,
        accountId: outcome.accountId,
        loginName: outcome.loginName,
        window: outcome.window,
        reason: outcome.reason,
        line: outcome.line,
        runId: row.run_id,
        decidedAt: new Date(row.decided_at),
      };
    });
  }

  /** Every outcome, a page at a time. */
  async *allOutcomes(options: { case?: TorchCase | 'conflict'; pageSize?: number } = {}): AsyncGenerator<ReportedOutcome> {
    let after: string | undefined;
    for (;;) {
      const page = await this.outcomes({ after, limit: options.pageSize ?? 1000, case: options.case });
      yield* page;
      if (page.length < (options.pageSize ?? 1000)) return;
      after = page[page.length - 1]!.legacyId;
    }
  }
}
