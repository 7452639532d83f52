/**
 * The Torch Center import (SPEC §8): streams the export, decides each legacy account by the rules
 * and records one outcome per legacy id, each batch written atomically with the accounts it made.
 *
 * Idempotent and resumable: a legacy id that already has an outcome is skipped and its outcome
 * reported, so a second run, or one after a crash, creates nothing twice and loses nothing. The
 * dry run is the same code inside one transaction that is rolled back: later batches see what
 * earlier ones would have made, exactly as the apply will.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import type { AuditService } from '../../audit/audit.service.js';
import type { EntityAuthorizationRepository } from '../../authorization/entity-authorization.repository.js';
import type { Db } from '../../db/database.js';
import { runTogether, type Statement } from '../../db/statements.js';
import { loginNameKey } from '../../accounts/login-name.js';
import { orgNameKey } from '../../accounts/org-name.js';
import { normalizeUscc } from '../../accounts/identity-documents.js';
import type { PiiCrypto } from '../../security/pii-crypto.js';
import { readLegacyExport, type ExportFormat } from './legacy-export.reader.js';
import { parseLegacyRecord, type LegacyRecord, type MalformedRecord } from './legacy-record.js';
import { TorchImportRepository, type LegacyPasswordRow, type LegalProfileRow, type NaturalProfileRow, type NewAccountRow, type OutcomeRow } from './torch-import.repository.js';
import { decide, HJ_PREFIX, type NameHolder, type PlatformView, type TorchCase } from './torch.rules.js';

export type RunMode = 'dry_run' | 'apply';

export const OUTCOME_CASES = ['E1', 'E2', 'E3', 'E4', 'P1', 'P2', 'P3', 'P4', 'conflict'] as const;

export interface RunCounts {
  /** Records read, malformed ones included. */
  records: number;
  /** Outcome per case of every record with a legacy id, decided now or before. */
  cases: Record<TorchCase | 'conflict', number>;
  /** Records that could not be read as a legacy account (also conflicts when they have a legacy id). */
  malformed: number;
  /** Outcomes this run recorded (would record, in a dry run). */
  decided: number;
  /** Records whose legacy id already had an outcome: skipped. */
  alreadyDecided: number;
  /** Platform accounts this run made (would make). */
  accountsCreated: number;
  batches: number;
}

/**
 * What the CLI prints as the run goes, batch by batch in file order: every conflict, and every
 * malformed record without a legacy id (no outcome can be recorded for it). Never dropped.
 */
export interface RunListener {
  malformed?(record: MalformedRecord): void;
  conflict?(outcome: OutcomeRow): void;
}

export interface RunOptions {
  file: string;
  mode: RunMode;
  batchSize?: number;
  format?: ExportFormat;
  actor?: string;
  listener?: RunListener;
  /** Called after each batch commits (apply) — where a test simulates a crash. */
  afterBatch?: (batchNumber: number) => void | Promise<void>;
}

export interface RunResult {
  runId: string;
  mode: RunMode;
  counts: RunCounts;
}

export const DEFAULT_BATCH_SIZE = 2000;
const MAX_ATTEMPTS = 5;

type BatchItem = { record: LegacyRecord } | { malformed: MalformedRecord & { legacyId: string } };

/**
 * A batch, with the blind indexes and ciphertexts of its personal records' mobiles, computed as
 * the records are read (while the batches before are in the database) and of other mobiles as
 * needed.
 */
interface Batch {
  items: BatchItem[];
  /** Malformed records without a legacy id: listed with the batch, in file order. */
  unplaced: MalformedRecord[];
  mobileIndex: Map<string, string>;
  mobileEncrypted: Map<string, string>;
}

const emptyBatch = (): Batch => ({ items: [], unplaced: [], mobileIndex: new Map(), mobileEncrypted: new Map() });

type LegalAccountRef = { accountId: string; loginName: string };

/** The platform as a batch's look-ups found it. */
interface Lookups {
  existing: Map<string, OutcomeRow>;
  holders: Map<string, NameHolder>;
  /** Name keys asked for, found or not: what `holders` can answer. */
  asked: Set<string>;
  legalAccounts: Map<string, LegalAccountRef>;
  verifiedNaturals: Map<string, LegalAccountRef>;
}

/** What a committed batch added: corrects look-ups made while it was still in the database. */
interface BatchEffects {
  outcomes: Map<string, OutcomeRow>;
  holders: Map<string, NameHolder>;
  legalAccounts: Map<string, LegalAccountRef>;
}

interface BatchResult {
  /** Every item's outcome, in file order, with whether this run made it. */
  outcomes: Array<{ outcome: OutcomeRow; fresh: boolean }>;
  accountsCreated: number;
  effects: BatchEffects;
}

/** A batch decided: its rows as statements, and what they record and add. */
interface BatchPlan {
  /** Tells plans apart: a plan made ahead names the one it was decided on. */
  id: number;
  statements: Statement[];
  result: BatchResult;
  /** Made ahead: the id of the previous batch's plan it was decided on (0: the first batch). */
  basis?: number;
}

/** A batch handed to the writer. */
interface WrittenBatch {
  /** The plan chosen for its first write: what the next batch is decided on. */
  chosen: Promise<BatchPlan>;
  /** The plan it committed, once counted: the next batch's plan stands only if decided on this one. */
  committed: Promise<BatchPlan>;
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

const emptyCases = () => Object.fromEntries(OUTCOME_CASES.map((c) => [c, 0])) as RunCounts['cases'];

export class TorchImportService {
  private readonly repository: TorchImportRepository;
  /** Numbers plans, so that a plan made ahead can name the one it was decided on. */
  private plans = 0;

  constructor(
    private readonly db: Db,
    private readonly crypt: PiiCrypto,
    private readonly audit: AuditService,
    private readonly authorizations: EntityAuthorizationRepository,
    private readonly authorizedSystems: string[],
  ) {
    this.repository = new TorchImportRepository(db);
  }

  async run(options: RunOptions): Promise<RunResult> {
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    const runId = crypto.randomUUID();
    const actor = options.actor ?? 'operator';
    const counts: RunCounts = { records: 0, cases: emptyCases(), malformed: 0, decided: 0, alreadyDecided: 0, accountsCreated: 0, batches: 0 };
    await this.repository.startRun({ id: runId, mode: options.mode, file: path.resolve(options.file), actor });

    const record = async (batch: Batch, result: BatchResult) => {
      counts.batches++;
      counts.accountsCreated += result.accountsCreated;
      const listed: Array<{ line: number; list: () => void }> = batch.unplaced.map((malformed) => ({
        line: malformed.line,
        list: () => options.listener?.malformed?.(malformed),
      }));
      for (const { outcome, fresh } of result.outcomes) {
        counts.cases[outcome.case]++;
        if (fresh) counts.decided++;
        else counts.alreadyDecided++;
        if (outcome.case === 'conflict') listed.push({ line: outcome.line, list: () => options.listener?.conflict?.(outcome) });
      }
      for (const { list } of listed.sort((a, b) => a.line - b.line)) list();
      if (options.mode === 'apply') await options.afterBatch?.(counts.batches);
    };

    // The dry run's one transaction, rolled back at the end; each batch a savepoint inside it,
    // looked up, decided and written in turn, so that it sees what earlier ones would have made.
    const dryRun = options.mode === 'dry_run' ? await this.db.transaction() : undefined;
    // The apply is a pipeline: while one batch is written, the next is looked up and decided
    // outside any transaction, on the plan of the one being written, and the one after is read.
    // PostgreSQL's writes, the critical path, then follow each other without waiting for us.
    let writing: WrittenBatch | undefined;
    let writtenBefore: Promise<unknown> | undefined;
    const send = async (batch: Batch) => {
      if (dryRun) {
        const plan = await this.withRetry(() => dryRun.transaction((trx) => this.planInside(batch, runId, trx).then((planned) => this.writePlan(planned, trx))));
        return record(batch, plan.result);
      }
      // Once the batch before the one being written has committed, look-ups miss at most the
      // rows of the one being written, which its plan supplies.
      await writtenBefore;
      const previous = writing;
      const plan = this.planAhead(batch, runId, previous?.chosen);
      plan.catch(() => undefined);
      writing = this.write(batch, runId, plan, previous, (result) => record(batch, result));
      writtenBefore = previous?.committed;
    };
    let status: 'completed' | 'failed' = 'failed';
    try {
      let batch = emptyBatch();
      for await (const entry of readLegacyExport(options.file, options.format)) {
        counts.records++;
        const parsed =
          'unreadable' in entry
            ? { ok: false as const, malformed: { line: entry.line, reason: entry.unreadable, legacyId: null, kind: null, login: null } }
            : parseLegacyRecord(entry.raw, entry.line);
        if (parsed.ok) {
          batch.items.push({ record: parsed.record });
          this.prepareMobiles(parsed.record, batch);
        } else {
          counts.malformed++;
          const { legacyId } = parsed.malformed;
          if (legacyId !== null) batch.items.push({ malformed: { ...parsed.malformed, legacyId } });
          else batch.unplaced.push(parsed.malformed);
        }
        // Reading is CPU work on the thread that also answers the database: a pause every hundred
        // records lets the batch being written and the one being looked up go on meanwhile.
        if (counts.records % 100 === 0) await new Promise(setImmediate);
        if (batch.items.length + batch.unplaced.length >= batchSize) {
          await send(batch);
          batch = emptyBatch();
        }
      }
      if (batch.items.length + batch.unplaced.length) await send(batch);
      await writing?.committed;
      status = 'completed';
    } finally {
      if (dryRun) await dryRun.rollback().catch(() => undefined);
      await this.repository.finishRun(runId, status, counts);
      await this.audit.record({
        event: 'torch.run',
        outcome: status === 'completed' ? 'success' : 'failure',
        actor: { type: 'cli', id: actor },
        subject: { type: 'torch_run', id: runId },
        details: { mode: options.mode, ...counts },
      });
    }
    return { runId, mode: options.mode, counts };
  }

  /**
   * Looks the batch up and decides it outside any transaction, on the plan of the batch before it
   * (whose rows the look-ups may not see yet). Its write checks that this still holds.
   */
  private async planAhead(batch: Batch, runId: string, previous: Promise<BatchPlan> | undefined): Promise<BatchPlan> {
    const lookups = await this.lookUp(batch, this.db);
    const basis = await previous;
    if (basis) await this.corrected(lookups, basis.result.effects, batch, this.db);
    return { ...this.plan(batch, runId, lookups), basis: basis?.id ?? 0 };
  }

  /** Looks the batch up and decides it in `trx`. */
  private async planInside(batch: Batch, runId: string, trx: Db): Promise<BatchPlan> {
    return this.plan(batch, runId, await this.lookUp(batch, trx));
  }

  /**
   * Writes the batch once the one before it has committed. Its plan made ahead is written as it
   * is, in one statement (atomic on its own), when it was decided on what the batch before
   * committed. Otherwise, or when a platform user or another import took a name, a legacy id or a
   * unit the plan counted on since (a unique violation: every outcome depends only on rows so
   * guarded), the batch is looked up, decided and written again in one transaction.
   */
  private write(
    batch: Batch,
    runId: string,
    ahead: Promise<BatchPlan>,
    previous: WrittenBatch | undefined,
    onCommitted: (result: BatchResult) => Promise<void>,
  ): WrittenBatch {
    const chosen = deferred<BatchPlan>();
    const committed = (async () => {
      const before = await previous?.committed;
      const planned = await ahead.catch(() => undefined);
      const standing = planned !== undefined && planned.basis === (before?.id ?? 0);
      const plan = await this.withRetry((attempt) => {
        if (attempt === 1 && standing) {
          chosen.resolve(planned);
          return this.writePlan(planned, this.db);
        }
        return this.db.transaction(async (trx) => {
          const plan = await this.planInside(batch, runId, trx);
          chosen.resolve(plan); // settles once: a retry's plan changes nothing here
          return this.writePlan(plan, trx);
        });
      });
      await onCommitted(plan.result);
      return plan;
    })();
    committed.catch(chosen.reject);
    return { chosen: chosen.promise, committed };
  }

  /**
   * A name, legacy id or unit taken between a batch's look-up and its write (by a platform user,
   * or by another import whose batches interleave with ours): decide again. Each attempt sees all
   * that committed before it, so only a run of fresh collisions exhausts them; the run then fails
   * and resumes where it stopped.
   */
  private async withRetry<T>(work: (attempt: number) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work(attempt);
      } catch (error) {
        if ((error as { code?: string }).code !== '23505' || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }

  private async writePlan(plan: BatchPlan, conn: Db): Promise<BatchPlan> {
    await runTogether(conn, plan.statements);
    return plan;
  }

  /**
   * A personal record's login is its mobile: every one is looked up by it and stores it in its
   * outcome. An enterprise's contact mobile is needed only if an account is made for it, so it
   * is encrypted then (plan), not for every record.
   */
  private prepareMobiles(record: LegacyRecord, batch: Batch): void {
    if (record.kind !== 'personal') return;
    for (const mobile of [record.login, record.mobile]) {
      if (mobile === null || batch.mobileIndex.has(mobile)) continue;
      batch.mobileIndex.set(mobile, this.crypt.blindIndex(mobile));
      batch.mobileEncrypted.set(mobile, this.crypt.encrypt(mobile));
    }
  }

  private legacyLogin(kind: LegacyRecord['kind'] | null, login: string | null, batch: Batch): Pick<OutcomeRow, 'legacyLoginStored' | 'legacyLoginKey'> {
    if (kind === null || login === null) return { legacyLoginStored: null, legacyLoginKey: null };
    if (kind === 'enterprise') return { legacyLoginStored: normalizeUscc(login), legacyLoginKey: normalizeUscc(login) };
    return {
      legacyLoginStored: batch.mobileEncrypted.get(login) ?? this.crypt.encrypt(login),
      legacyLoginKey: batch.mobileIndex.get(login) ?? this.crypt.blindIndex(login),
    };
  }

  /**
   * Everything a batch decides on, one query per kind for the whole batch: outcomes already
   * recorded, the holders of the names its records may want, the legal accounts of its USCCs and the
   * verified natural accounts reserving its mobiles. A record's HJ_ name is asked for only where its
   * own name is taken (by the platform, or by an earlier record of the batch with the same login).
   */
  private async lookUp(batch: Batch, conn: Db): Promise<Lookups> {
    const records = batch.items.flatMap((item) => ('record' in item ? [item.record] : []));
    const legacyIds = batch.items.map((item) => ('record' in item ? item.record.legacyId : item.malformed.legacyId));
    const own = records.map((record) => loginNameKey(record.login));
    const existing = await this.repository.existingOutcomes([...new Set(legacyIds)], conn);
    const holders = await this.repository.holders([...new Set(own)], conn);
    const lookups: Lookups = {
      existing,
      holders,
      asked: new Set(own),
      legalAccounts: await this.repository.legalAccounts([...new Set(records.filter((r) => r.kind === 'enterprise').map((r) => r.login))], conn),
      verifiedNaturals: await this.repository.verifiedNaturals(
        [...new Set(records.filter((r) => r.kind === 'personal').map((r) => batch.mobileIndex.get(r.login) ?? this.crypt.blindIndex(r.login)))],
        conn,
      ),
    };
    await this.askPrefixedNames(records, lookups, conn);
    return lookups;
  }

  /** The HJ_ names of records whose own name is taken, where not asked for yet. */
  private async askPrefixedNames(records: LegacyRecord[], lookups: Lookups, conn: Db): Promise<void> {
    const seen = new Set<string>();
    const wanted = new Set<string>();
    for (const record of records) {
      const own = loginNameKey(record.login);
      const prefixed = loginNameKey(HJ_PREFIX + record.login);
      if ((lookups.holders.has(own) || seen.has(own)) && !lookups.asked.has(prefixed)) wanted.add(prefixed);
      seen.add(own);
    }
    if (wanted.size === 0) return;
    for (const [key, holder] of await this.repository.holders([...wanted], conn)) lookups.holders.set(key, holder);
    for (const key of wanted) lookups.asked.add(key);
  }

  /**
   * Look-ups made while the previous batch may not have been written yet, with what it makes
   * added (adding what they already saw changes nothing).
   */
  private async corrected(lookups: Lookups, previous: BatchEffects, batch: Batch, conn: Db): Promise<Lookups> {
    for (const [legacyId, outcome] of previous.outcomes) lookups.existing.set(legacyId, outcome);
    for (const [key, holder] of previous.holders) lookups.holders.set(key, holder);
    for (const [uscc, account] of previous.legalAccounts) if (!lookups.legalAccounts.has(uscc)) lookups.legalAccounts.set(uscc, account);
    // A name the previous batch took may now send a record to its HJ_ name.
    await this.askPrefixedNames(batch.items.flatMap((item) => ('record' in item ? [item.record] : [])), lookups, conn);
    return lookups;
  }

  /**
   * Decides every item of the batch on its look-ups (pure: no database). What earlier records of
   * the batch make is added to the look-ups, so later ones see it.
   */
  private plan(batch: Batch, runId: string, { existing, holders, legalAccounts, verifiedNaturals }: Lookups): BatchPlan {
    const { items } = batch;
    const legacyIdOf = (item: BatchItem) => ('record' in item ? item.record.legacyId : item.malformed.legacyId);
    const mobileIndexes = batch.mobileIndex;
    const indexOf = (mobile: string) => {
      let index = mobileIndexes.get(mobile);
      if (index === undefined) mobileIndexes.set(mobile, (index = this.crypt.blindIndex(mobile)));
      return index;
    };
    const effects: BatchEffects = { outcomes: new Map(), holders: new Map(), legalAccounts: new Map() };
    const view: PlatformView = {
      holder: (key) => holders.get(key),
      legalAccountOf: (uscc) => legalAccounts.get(uscc),
      verifiedNaturalByMobile: (index) => verifiedNaturals.get(index),
    };

    const accounts: NewAccountRow[] = [];
    const naturalProfiles: NaturalProfileRow[] = [];
    const legalProfiles: LegalProfileRow[] = [];
    const passwords: LegacyPasswordRow[] = [];
    const grants: Array<{ legalAccountId: string; agentAccountId: string }> = [];
    const decidedNow = new Map<string, OutcomeRow>();
    const result: BatchResult = { outcomes: [], accountsCreated: 0, effects };

    for (const item of items) {
      const legacyId = legacyIdOf(item);
      const earlier = existing.get(legacyId) ?? decidedNow.get(legacyId);
      if (earlier) {
        result.outcomes.push({ outcome: earlier, fresh: false });
        continue;
      }
      let outcome: OutcomeRow;
      if ('malformed' in item) {
        const { malformed } = item;
        outcome = {
          legacyId, kind: malformed.kind, ...this.legacyLogin(malformed.kind, malformed.login, batch),
          case: 'conflict', accountId: null, loginName: null, window: null, reason: malformed.reason, line: malformed.line,
        };
      } else {
        const { record } = item;
        const decision = decide(record, view, indexOf);
        const base = { legacyId, kind: record.kind, ...this.legacyLogin(record.kind, record.login, batch), line: record.line };
        if (decision.case === 'conflict') {
          outcome = { ...base, case: 'conflict', accountId: null, loginName: null, window: null, reason: decision.reason };
        } else if ('linkedAccountId' in decision) {
          outcome = { ...base, case: decision.case, accountId: decision.linkedAccountId, loginName: decision.loginName, window: decision.window, reason: null };
        } else {
          const id = crypto.randomUUID();
          const mobile = record.mobile!;
          const holder: NameHolder = {
            accountId: id, kind: decision.create, loginName: decision.loginName,
            uscc: decision.create === 'legal' ? record.login : null, mobileIndex: indexOf(mobile),
          };
          accounts.push({
            id, kind: decision.create, loginName: decision.loginName, loginNameKey: loginNameKey(decision.loginName),
            mobileEncrypted: batch.mobileEncrypted.get(mobile) ?? this.crypt.encrypt(mobile), mobileIndex: holder.mobileIndex, email: record.email,
          });
          holders.set(loginNameKey(decision.loginName), holder);
          effects.holders.set(loginNameKey(decision.loginName), holder);
          passwords.push({ accountId: id, ...record.password });
          if (decision.create === 'legal') {
            legalProfiles.push({ accountId: id, orgName: record.orgName!, orgNameKey: orgNameKey(record.orgName!), uscc: record.login });
            if (!legalAccounts.has(record.login)) {
              legalAccounts.set(record.login, { accountId: id, loginName: decision.loginName });
              effects.legalAccounts.set(record.login, { accountId: id, loginName: decision.loginName });
            }
          } else {
            naturalProfiles.push({ accountId: id, name: decision.name });
            if (decision.case === 'E4') grants.push({ legalAccountId: decision.grantor, agentAccountId: id });
          }
          outcome = { ...base, case: decision.case, accountId: id, loginName: decision.loginName, window: decision.window, reason: null };
        }
      }
      decidedNow.set(legacyId, outcome);
      effects.outcomes.set(legacyId, outcome);
      result.outcomes.push({ outcome, fresh: true });
    }

    result.accountsCreated = accounts.length;
    const statements = [
      this.repository.accountsInsert(accounts),
      this.repository.naturalProfilesInsert(naturalProfiles),
      this.repository.legalProfilesInsert(legalProfiles),
      this.repository.legacyPasswordsInsert(passwords),
      this.authorizations.grantManyStatement(grants, { systems: this.authorizedSystems, origin: 'migration', grantedBy: 'torch-import' }),
      this.repository.outcomesInsert([...decidedNow.values()], runId),
      this.repository.heartbeat(runId),
    ];
    return { id: ++this.plans, statements, result };
  }
}
