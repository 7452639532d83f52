import type { RealNameStatus } from '../accounts/account.types.js';
import type { Db } from '../db/database.js';
import type { PiiCrypto } from '../security/pii-crypto.js';

export type ReviewCaseKind = 'natural_verification';
export type ReviewCaseStatus = 'pending' | 'approved' | 'rejected';

/** What the applicant had declared when the case was opened; never the full document number. */
export interface ReviewCaseSnapshot {
  name: string;
  identityType: string | null;
  documentType: string | null;
  documentNumberMasked: string | null;
}

export interface ReviewCase {
  id: string;
  kind: ReviewCaseKind;
  accountId: string;
  status: ReviewCaseStatus;
  reason: string | null;
  frontUploadId: string;
  backUploadId: string;
  snapshot: ReviewCaseSnapshot;
  reviewerId: string | null;
  createdAt: Date;
  decidedAt: Date | null;
}

export interface QueuedCase extends ReviewCase {
  loginName: string;
}

/** The applicant's identity document as the account holds it now (the full number is for reviewers). */
export interface ApplicantDocument {
  kind: 'natural' | 'legal';
  realNameStatus: RealNameStatus;
  name: string | null;
  identityType: string | null;
  documentType: string | null;
  documentNumber: string | null;
  documentNumberIndex: string | null;
}

const toCase = (row: Record<string, unknown>): ReviewCase => ({
  id: row.id as string,
  kind: row.kind as ReviewCaseKind,
  accountId: row.account_id as string,
  status: row.status as ReviewCaseStatus,
  reason: row.reason as string | null,
  frontUploadId: row.front_upload_id as string,
  backUploadId: row.back_upload_id as string,
  snapshot: row.snapshot as ReviewCaseSnapshot,
  reviewerId: row.reviewer_id as string | null,
  createdAt: new Date(row.created_at as string),
  decidedAt: row.decided_at ? new Date(row.decided_at as string) : null,
});

const isUuid = (id: string) => /^[0-9a-f-]{36}$/i.test(id);

/** SQL for review cases, and the account columns their decisions change. */
export class ReviewCaseRepository {
  constructor(
    private readonly db: Db,
    private readonly crypt: PiiCrypto,
  ) {}

  async insert(reviewCase: Omit<ReviewCase, 'createdAt' | 'decidedAt' | 'reviewerId' | 'reason' | 'status'>, trx: Db): Promise<ReviewCase> {
    const [row] = await trx('review_cases')
      .insert({
        id: reviewCase.id,
        kind: reviewCase.kind,
        account_id: reviewCase.accountId,
        front_upload_id: reviewCase.frontUploadId,
        back_upload_id: reviewCase.backUploadId,
        snapshot: JSON.stringify(reviewCase.snapshot),
      })
      .returning('*');
    return toCase(row);
  }

  /**
   * The applicant's account and document. With `lock`, the account row stays locked until the
   * transaction ends, so two submissions (or a submission and a decision) for one account take turns.
   */
  async applicant(accountId: string, options: { trx?: Db; lock?: boolean } = {}): Promise<ApplicantDocument | undefined> {
    if (!isUuid(accountId)) return undefined;
    const trx = options.trx ?? this.db;
    const query = trx('accounts').where({ id: accountId });
    const account = await (options.lock ? query.forUpdate() : query).first('kind', 'real_name_status');
    if (!account) return undefined;
    const profile = await trx('natural_profiles')
      .where({ account_id: accountId })
      .first('name', 'identity_type', 'document_type', 'document_number_encrypted', 'document_number_index');
    return {
      kind: account.kind,
      realNameStatus: account.real_name_status,
      name: profile?.name ?? null,
      identityType: profile?.identity_type ?? null,
      documentType: profile?.document_type ?? null,
      documentNumber: profile?.document_number_encrypted ? this.crypt.decrypt(profile.document_number_encrypted) : null,
      documentNumberIndex: profile?.document_number_index ?? null,
    };
  }

  async realNameStatus(accountId: string): Promise<{ kind: string; realNameStatus: RealNameStatus } | undefined> {
    if (!isUuid(accountId)) return undefined;
    const row = await this.db('accounts').where({ id: accountId }).first('kind', 'real_name_status');
    return row ? { kind: row.kind, realNameStatus: row.real_name_status } : undefined;
  }

  async hasPending(accountId: string, trx: Db = this.db): Promise<boolean> {
    return Boolean(await trx('review_cases').where({ account_id: accountId, status: 'pending' }).first('id'));
  }

  async lockCase(id: string, trx: Db): Promise<ReviewCase | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await trx('review_cases').where({ id }).forUpdate().first();
    return row ? toCase(row) : undefined;
  }

  async findById(id: string): Promise<QueuedCase | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await this.db('review_cases as c').join('accounts as a', 'a.id', 'c.account_id').where('c.id', id).first('c.*', 'a.login_name');
    return row ? { ...toCase(row), loginName: row.login_name } : undefined;
  }

  /** Pending cases, oldest first: first come, first served. */
  async pending(limit: number): Promise<QueuedCase[]> {
    const rows = await this.db('review_cases as c')
      .join('accounts as a', 'a.id', 'c.account_id')
      .where('c.status', 'pending')
      .orderBy([{ column: 'c.created_at', order: 'asc' }, { column: 'c.id', order: 'asc' }])
      .limit(limit)
      .select('c.*', 'a.login_name');
    return rows.map((row) => ({ ...toCase(row), loginName: row.login_name }));
  }

  async countPending(): Promise<number> {
    const row = await this.db('review_cases').where('status', 'pending').count<{ count: string }[]>('id as count').first();
    return Number(row?.count ?? 0);
  }

  async decide(id: string, decision: { status: 'approved' | 'rejected'; reason: string | null; reviewerId: string; decidedAt: Date }, trx: Db) {
    await trx('review_cases').where({ id }).update({
      status: decision.status,
      reason: decision.reason,
      reviewer_id: decision.reviewerId,
      decided_at: decision.decidedAt,
    });
  }

  /**
   * Moves the account's real-name status, but only from `from`: a decision never overrides what
   * happened to the account meanwhile (say, automatic verification succeeding).
   */
  async setRealNameStatus(
    accountId: string,
    change: { from: RealNameStatus[]; to: RealNameStatus; verifiedAt?: Date },
    trx: Db,
  ): Promise<boolean> {
    const updated = await trx('accounts')
      .where({ id: accountId })
      .whereIn('real_name_status', change.from)
      .update({
        real_name_status: change.to,
        ...(change.verifiedAt ? { real_name_verified_at: change.verifiedAt } : {}),
        updated_at: trx.fn.now(),
      });
    return updated === 1;
  }

  /** Another account already verified with this document (SPEC §1: one document verifies one account). */
  async otherVerifiedHolder(documentNumberIndex: string, exceptAccountId: string, trx: Db = this.db): Promise<{ loginName: string } | undefined> {
    const row = await trx('natural_profiles as n')
      .join('accounts as a', 'a.id', 'n.account_id')
      .where('n.document_number_index', documentNumberIndex)
      .whereNot('a.id', exceptAccountId)
      .whereIn('a.real_name_status', ['verified', 'reviewed'])
      .first('a.login_name');
    return row ? { loginName: row.login_name } : undefined;
  }

  /** Whether some case holds this upload: only those images are shown in the console. */
  async referencesUpload(uploadId: string): Promise<boolean> {
    if (!isUuid(uploadId)) return false;
    return Boolean(
      await this.db('review_cases').where('front_upload_id', uploadId).orWhere('back_upload_id', uploadId).first('id'),
    );
  }

  async latestDecided(accountId: string): Promise<ReviewCase | undefined> {
    if (!isUuid(accountId)) return undefined;
    const row = await this.db('review_cases')
      .where({ account_id: accountId })
      .whereNot('status', 'pending')
      .orderBy('decided_at', 'desc')
      .first();
    return row ? toCase(row) : undefined;
  }
}
