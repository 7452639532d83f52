/**
 * The Torch import's report (SPEC §8, §10), read by `torch report` and the console's migration
 * reports: the runs, and the recorded outcomes, one per legacy account. Read only: the import
 * command writes them. The CLI's outcomes carry the legacy login in clear (the operator's own
 * report); the console's conflicts leave here with persons' mobiles masked.
 */
import type { Db } from '../../db/database.js';
import { maskMobile, type PiiCrypto } from '../../security/pii-crypto.js';
import type { LegacyKind } from './legacy-record.js';
import { toOutcome, type OutcomeRow } from './torch-import.repository.js';
import { OUTCOME_CASES, type RunCounts, type RunMode } from './torch-import.service.js';
import type { TorchCase } from './torch.rules.js';

export interface TorchRun {
  id: string;
  mode: RunMode;
  file: string;
  /**
   * `interrupted`: an apply run still marked running that has written no batch for
   * RUN_SILENCE_MINUTES, so was killed. (A dry run's batches are rolled back, its heartbeat with
   * them; a killed one stays running, having changed nothing.)
   */
  status: 'running' | 'interrupted' | 'completed' | 'failed';
  /** The figures as the import recorded them (torch_runs.counts). */
  counts: Partial<RunCounts>;
  actor: string;
  startedAt: Date;
  finishedAt: Date | null;
}

/** An outcome as operators read it: the legacy login in clear (the report is theirs, not the public's). */
export interface ReportedOutcome extends Omit<OutcomeRow, 'legacyLoginStored' | 'legacyLoginKey'> {
  legacyLogin: string | null;
  /** `line`: the line of the export it was read from, in the run `runId` that decided it. */
  runId: string;
  decidedAt: Date;
}

/** A legacy record the import could not place, as the console shows it: persons' mobiles masked. */
export interface TorchConflict {
  legacyId: string;
  /** Null, with the legacy login, for a malformed record that had a legacy id but no kind or login. */
  kind: LegacyKind | null;
  legacyLogin: string | null;
  loginName: string | null;
  reason: string | null;
  decidedAt: Date;
}

export interface Page<T> {
  items: T[];
  total: number;
}

const MOBILE = /1[3-9]\d{9}/g;

/**
 * A person's legacy login is their mobile, and their login name the mobile or HJ_ and the mobile
 * (SPEC §8): each mobile in it masked. A malformed one without a mobile in it is masked whole.
 */
const maskPersonal = (text: string) => (text.match(MOBILE) ? text.replace(MOBILE, (mobile) => maskMobile(mobile)) : maskMobile(text));

const isRunId = (id: string) => /^[0-9a-f-]{36}$/i.test(id);

/** Longer than any batch takes: an apply run silent this long is not running any more. */
export const RUN_SILENCE_MINUTES = 10;

function toRun(row: Record<string, unknown>): TorchRun {
  return {
    id: row.id as string,
    mode: row.mode as RunMode,
    file: row.file as string,
    status: row.silent ? 'interrupted' : (row.status as TorchRun['status']),
    counts: (row.counts as Partial<RunCounts> | null) ?? {},
    actor: row.actor as string,
    startedAt: new Date(row.started_at as string),
    finishedAt: row.finished_at ? new Date(row.finished_at as string) : null,
  };
}

export class TorchReportService {
  constructor(
    private readonly db: Db,
    private readonly crypt: PiiCrypto,
  ) {}

  /** torch_runs' columns, and whether the run has fallen silent (by the database's clock, as its heartbeat). */
  private runColumns() {
    return ['*', this.db.raw(`(status = 'running' and mode = 'apply' and heartbeat_at < now() - interval '${RUN_SILENCE_MINUTES} minutes') as silent`)];
  }

  /** The newest run. */
  async latestRun(): Promise<TorchRun | undefined> {
    const row = await this.db('torch_runs').orderBy([{ column: 'started_at', order: 'desc' }, { column: 'id', order: 'desc' }]).first(...this.runColumns());
    return row ? toRun(row) : undefined;
  }

  async run(id: string): Promise<TorchRun | undefined> {
    if (!isRunId(id)) return undefined;
    const row = await this.db('torch_runs').where({ id }).first(...this.runColumns());
    return row ? toRun(row) : undefined;
  }

  /** A page of runs, latest first. */
  async runs(offset: number, limit: number): Promise<Page<TorchRun>> {
    const [rows, count] = await Promise.all([
      this.db('torch_runs').orderBy([{ column: 'started_at', order: 'desc' }, { column: 'id' }]).offset(offset).limit(limit).select(...this.runColumns()),
      this.db('torch_runs').count<{ count: string }[]>({ count: '*' }),
    ]);
    return { items: rows.map(toRun), total: Number(count[0]!.count) };
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
      const { legacyLoginStored: stored, legacyLoginKey: _key, ...outcome } = toOutcome(row);
      return {
        ...outcome,
        legacyLogin: stored === null ? null : outcome.kind === 'personal' ? this.crypt.decrypt(stored) : stored,
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

  /** The run's conflicts, malformed records with a legacy id among them, oldest decision first; for the console. */
  async conflicts(runId: string, offset: number, limit: number): Promise<Page<TorchConflict>> {
    const scope = () => this.db('torch_outcomes').where({ run_id: runId, case: 'conflict' });
    const [rows, count] = await Promise.all([
      scope().orderBy([{ column: 'decided_at' }, { column: 'legacy_id' }]).offset(offset).limit(limit).select('legacy_id', 'kind', 'legacy_login_encrypted', 'login_name', 'reason', 'decided_at'),
      scope().count<{ count: string }[]>({ count: '*' }),
    ]);
    return {
      items: rows.map((row) => ({
        legacyId: row.legacy_id,
        kind: row.kind,
        legacyLogin: this.maskedLegacyLogin(row.kind, row.legacy_login_encrypted),
        loginName: row.login_name ? (row.kind === 'personal' ? maskPersonal(row.login_name) : row.login_name) : null,
        // A reason may quote what was wrong, a mobile among them.
        reason: row.reason ? row.reason.replace(MOBILE, (mobile: string) => maskMobile(mobile)) : null,
        decidedAt: new Date(row.decided_at),
      })),
      total: Number(count[0]!.count),
    };
  }

  /** Enterprises' USCCs are public and shown whole; persons' mobiles are decrypted only to be masked. */
  private maskedLegacyLogin(kind: LegacyKind | null, stored: string | null): string | null {
    if (stored === null) return null;
    const clear = stored.startsWith('v1.') ? this.crypt.decrypt(stored) : stored;
    return kind === 'personal' ? maskPersonal(clear) : clear;
  }
}
