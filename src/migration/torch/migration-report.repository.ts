import type { Db } from '../../db/database.js';
import { maskMobile, type PiiCrypto } from '../../security/pii-crypto.js';

export type TorchRunMode = 'dry_run' | 'apply';
export type TorchRunStatus = 'running' | 'completed' | 'failed';

export interface TorchRun {
  id: string;
  mode: TorchRunMode;
  file: string;
  status: TorchRunStatus;
  /** The report's figures as the import recorded them, flattened: `{ E1: 3, 'malformed.bad_mobile': 1 }`. */
  counts: Array<[string, number]>;
  actor: string;
  startedAt: Date;
  finishedAt: Date | null;
}

/** A legacy record the import could not place, as the console shows it: persons' mobiles masked. */
export interface TorchConflict {
  legacyId: string;
  /** Null, with the legacy login, for a malformed record that had a legacy id but no kind or login. */
  kind: 'enterprise' | 'personal' | null;
  legacyLogin: string | null;
  loginName: string | null;
  reason: string | null;
  decidedAt: Date;
}

export interface Page<T> {
  items: T[];
  total: number;
}

/** Nested figures become dotted keys; anything not a number is not a figure. */
function flattenCounts(value: unknown, prefix = ''): Array<[string, number]> {
  if (typeof value === 'number') return [[prefix, value]];
  if (!value || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([key, inner]) => flattenCounts(inner, prefix ? `${prefix}.${key}` : key));
}

const MOBILE = /1[3-9]\d{9}/g;

/**
 * A person's legacy login is their mobile, and their login name the mobile or HJ_ and the mobile
 * (SPEC §8): each mobile in it masked. A malformed one without a mobile in it is masked whole.
 */
const maskPersonal = (text: string) => (text.match(MOBILE) ? text.replace(MOBILE, (mobile) => maskMobile(mobile)) : maskMobile(text));

/**
 * The Torch Center import's runs and outcomes, read for the console's migration reports (SPEC §10).
 * Read only: the import command writes them. Personal data leaves here masked.
 */
export class MigrationReportRepository {
  constructor(
    private readonly db: Db,
    private readonly crypt: PiiCrypto,
  ) {}

  async runs(offset: number, limit: number): Promise<Page<TorchRun>> {
    const [rows, count] = await Promise.all([
      this.db('torch_runs').orderBy([{ column: 'started_at', order: 'desc' }, { column: 'id' }]).offset(offset).limit(limit).select(),
      this.db('torch_runs').count<{ count: string }[]>({ count: '*' }),
    ]);
    return { items: rows.map((row) => this.toRun(row)), total: Number(count[0]!.count) };
  }

  async run(id: string): Promise<TorchRun | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const row = await this.db('torch_runs').where({ id }).first();
    return row ? this.toRun(row) : undefined;
  }

  /** The run's conflicts, malformed records with a legacy id among them, oldest decision first. */
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
        legacyLogin: this.legacyLogin(row.kind, row.legacy_login_encrypted),
        loginName: row.login_name ? (row.kind === 'personal' ? maskPersonal(row.login_name) : row.login_name) : null,
        // A reason may quote what was wrong, a mobile among them.
        reason: row.reason ? row.reason.replace(MOBILE, (mobile: string) => maskMobile(mobile)) : null,
        decidedAt: new Date(row.decided_at),
      })),
      total: Number(count[0]!.count),
    };
  }

  /** Enterprises' USCCs are public and shown whole; persons' mobiles are decrypted only to be masked. */
  private legacyLogin(kind: string | null, stored: string | null): string | null {
    if (stored === null) return null;
    const clear = stored.startsWith('v1.') ? this.crypt.decrypt(stored) : stored;
    return kind === 'personal' ? maskPersonal(clear) : clear;
  }

  private toRun(row: Record<string, unknown>): TorchRun {
    return {
      id: row.id as string,
      mode: row.mode as TorchRunMode,
      file: row.file as string,
      status: row.status as TorchRunStatus,
      counts: flattenCounts(row.counts),
      actor: row.actor as string,
      startedAt: new Date(row.started_at as string),
      finishedAt: row.finished_at ? new Date(row.finished_at as string) : null,
    };
  }
}
