import { type OrgType, type RealNameStatus, type RegistrationRegion, REAL_NAME_SETTLED } from '../accounts/account.types.js';
import type { DocumentType } from '../accounts/identity-documents.js';
import type { Db } from '../db/database.js';
import type { PiiCrypto } from '../security/pii-crypto.js';
import type { UploadPurpose } from '../uploads/upload.repository.js';

export type VerificationCaseKind = 'natural_verification' | 'legal_verification';
/** Appeals (src/flows/appeal): filed by someone who cannot sign in, so of no account until approved. */
export type AppealCaseKind = 'natural_appeal' | 'legal_appeal';
export type ReviewCaseKind = VerificationCaseKind | AppealCaseKind;
export type ReviewCaseStatus = 'pending' | 'approved' | 'rejected';

export const isAppealKind = (kind: ReviewCaseKind): kind is AppealCaseKind => kind === 'natural_appeal' || kind === 'legal_appeal';

/** The images each kind of case is made of, in the order a reviewer reads them; an image's role is its upload's purpose. */
export const CASE_IMAGE_ROLES = {
  natural_verification: ['identity_document_front', 'identity_document_back'],
  legal_verification: ['business_license', 'legal_representative_document', 'authorization_letter'],
  // The applicant's document (a unit's main agent's, stamped with the unit seal), front and back.
  natural_appeal: ['identity_document_front', 'identity_document_back'],
  legal_appeal: ['identity_document_front', 'identity_document_back'],
} as const satisfies Record<ReviewCaseKind, readonly UploadPurpose[]>;

export type CaseImages = Partial<Record<UploadPurpose, string>>;

/** What the applicant had declared when the case was opened; never the full document number. */
export interface NaturalCaseSnapshot {
  name: string;
  identityType: string | null;
  documentType: string | null;
  documentNumberMasked: string | null;
}

/** A person of a unit's case (its legal representative, its main agent), masked. */
export interface PersonSnapshot {
  name: string;
  identityType: string;
  documentType: string;
  documentNumberMasked: string;
  mobileMasked: string;
}

/** The unit as declared when the case was opened. A USCC is public registry data. */
export interface LegalCaseSnapshot {
  orgName: string;
  registrationRegion: RegistrationRegion;
  orgType: OrgType;
  uscc: string | null;
  registrationNumber: string | null;
  legalRepresentative: PersonSnapshot;
  mainAgent: PersonSnapshot | null;
}

/** A natural person's appeal as filed, masked: the full data is the appeal's own, encrypted. */
export interface NaturalAppealSnapshot extends PersonSnapshot {
  caseNumber: string;
}

/** A unit's appeal as filed, masked. */
export interface LegalAppealSnapshot {
  caseNumber: string;
  orgName: string;
  orgType: OrgType;
  uscc: string;
  mainAgent: PersonSnapshot;
}

export type ReviewCaseSnapshot = NaturalCaseSnapshot | LegalCaseSnapshot | NaturalAppealSnapshot | LegalAppealSnapshot;

interface CaseFields {
  id: string;
  status: ReviewCaseStatus;
  reason: string | null;
  /** Upload id by role (see CASE_IMAGE_ROLES). */
  images: CaseImages;
  reviewerId: string | null;
  createdAt: Date;
  decidedAt: Date | null;
}

type VerificationCaseData = { accountId: string } & (
  | { kind: 'natural_verification'; snapshot: NaturalCaseSnapshot }
  | { kind: 'legal_verification'; snapshot: LegalCaseSnapshot }
);
type AppealCaseData = { accountId: null } & (
  | { kind: 'natural_appeal'; snapshot: NaturalAppealSnapshot }
  | { kind: 'legal_appeal'; snapshot: LegalAppealSnapshot }
);

export type VerificationCase = CaseFields & VerificationCaseData;
export type AppealCase = CaseFields & AppealCaseData;
export type ReviewCase = VerificationCase | AppealCase;

/** A case with the applicant's login name: an appeal has none (it names no account). */
export type QueuedCase = (VerificationCase & { loginName: string }) | (AppealCase & { loginName: null });

type NewCaseFields = Omit<CaseFields, 'createdAt' | 'decidedAt' | 'reviewerId' | 'reason' | 'status'>;
export type NewReviewCase = NewCaseFields & (VerificationCaseData | AppealCaseData);

/** The applicant's identity document as the account holds it now (the full number is for reviewers). */
export interface ApplicantDocument {
  kind: 'natural' | 'legal';
  realNameStatus: RealNameStatus;
  name: string | null;
  identityType: string | null;
  documentType: DocumentType | null;
  documentNumber: string | null;
  documentNumberIndex: string | null;
}

const toCase = (row: Record<string, unknown>): ReviewCase =>
  ({
    id: row.id as string,
    kind: row.kind as ReviewCaseKind,
    accountId: row.account_id as string,
    status: row.status as ReviewCaseStatus,
    reason: row.reason as string | null,
    images: (row.images ?? {}) as CaseImages,
    snapshot: row.snapshot as ReviewCaseSnapshot,
    reviewerId: row.reviewer_id as string | null,
    createdAt: new Date(row.created_at as string),
    decidedAt: row.decided_at ? new Date(row.decided_at as string) : null,
  }) as ReviewCase;

/** Each case row with its images, as one object {role: upload id}. */
const withImages = (db: Db) =>
  db.raw(`(select coalesce(json_object_agg(i.role, i.upload_id), '{}'::json) from review_case_uploads i where i.case_id = c.id) as images`);

const isUuid = (id: string) => /^[0-9a-f-]{36}$/i.test(id);

/** SQL for review cases, and the account columns their decisions change. */
export class ReviewCaseRepository {
  constructor(
    private readonly db: Db,
    private readonly crypt: PiiCrypto,
  ) {}

  async insert<C extends NewReviewCase>(reviewCase: C, trx: Db): Promise<CaseFields & C> {
    const [row] = await trx('review_cases')
      .insert({
        id: reviewCase.id,
        kind: reviewCase.kind,
        account_id: reviewCase.accountId,
        snapshot: JSON.stringify(reviewCase.snapshot),
      })
      .returning('*');
    await trx('review_case_uploads').insert(
      Object.entries(reviewCase.images).map(([role, uploadId]) => ({ case_id: reviewCase.id, role, upload_id: uploadId })),
    );
    return { ...(toCase({ ...row, images: reviewCase.images }) as CaseFields), ...reviewCase };
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
    const row = await trx('review_cases as c').where('c.id', id).forUpdate('c').first('c.*', withImages(trx));
    return row ? toCase(row) : undefined;
  }

  async findById(id: string): Promise<QueuedCase | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await this.db('review_cases as c')
      .leftJoin('accounts as a', 'a.id', 'c.account_id')
      .where('c.id', id)
      .first('c.*', 'a.login_name', withImages(this.db));
    return row ? ({ ...toCase(row), loginName: row.login_name ?? null } as QueuedCase) : undefined;
  }

  /** Pending cases, oldest first: first come, first served. */
  async pending(limit: number): Promise<QueuedCase[]> {
    const rows = await this.db('review_cases as c')
      .leftJoin('accounts as a', 'a.id', 'c.account_id')
      .where('c.status', 'pending')
      .orderBy([{ column: 'c.created_at', order: 'asc' }, { column: 'c.id', order: 'asc' }])
      .limit(limit)
      .select('c.*', 'a.login_name', withImages(this.db));
    return rows.map((row) => ({ ...toCase(row), loginName: row.login_name ?? null }) as QueuedCase);
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
      .whereIn('a.real_name_status', REAL_NAME_SETTLED)
      .first('a.login_name');
    return row ? { loginName: row.login_name } : undefined;
  }

  /** Whether some case holds this upload: only those images are shown in the console. */
  async referencesUpload(uploadId: string): Promise<boolean> {
    if (!isUuid(uploadId)) return false;
    return Boolean(await this.db('review_case_uploads').where('upload_id', uploadId).first('case_id'));
  }

  /** An account's cases are verifications: appeals name no account. */
  async latestDecided(accountId: string): Promise<VerificationCase | undefined> {
    if (!isUuid(accountId)) return undefined;
    const row = await this.db('review_cases as c')
      .where('c.account_id', accountId)
      .whereNot('c.status', 'pending')
      .orderBy('c.decided_at', 'desc')
      .first('c.*', withImages(this.db));
    return row ? (toCase(row) as VerificationCase) : undefined;
  }
}
