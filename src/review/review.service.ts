import crypto from 'node:crypto';
import type { AccountRepository, LegalIdentity } from '../accounts/account.repository.js';
import type { Actor } from '../accounts/account.service.js';
import type { AccountKind, PersonBlock, RealNameStatus } from '../accounts/account.types.js';
import { readyForReview } from '../accounts/legal-profile.rules.js';
import { byActor, type AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { DomainError, NotFoundError, ValidationError } from '../errors.js';
import { maskDocumentNumber, maskMobile } from '../security/pii-crypto.js';
import type { ImageMediaType } from '../uploads/image-sanitizer.js';
import type { UploadService } from '../uploads/upload.service.js';
import type { EntityClaimRepository } from '../verification/entity-claim.repository.js';
import type { VerificationRepository } from '../verification/verification.repository.js';
import {
  CASE_IMAGE_ROLES,
  isAppealKind,
  type LegalCaseSnapshot,
  type PersonSnapshot,
  type QueuedCase,
  type ReviewCase,
  type ReviewCaseRepository,
  type VerificationCase,
} from './review-case.repository.js';

export type { QueuedCase, ReviewCase };

/** The images of a unit's case, by role: business licence, representative's document, authorization letter. */
export type LegalCaseImages = Record<(typeof CASE_IMAGE_ROLES)['legal_verification'][number], string>;

/** Longer reasons are not read; the form says so. */
export const REJECTION_REASON_MAX = 500;

export type CaseForReview = VerificationCase & {
  loginName: string;
  /** The full document number (of the person, or of the unit's legal representative), decrypted for the reviewer's eyes only. */
  documentNumber: string | null;
  /** Another account already verified with this document (or this USCC): the case cannot be approved. */
  duplicateHolder: { loginName: string } | undefined;
};

/** The operator deciding or looking, with where the request came from (for the audit log). */
export interface Reviewer {
  id: string;
  ip?: string;
  requestId?: string;
}

/** Who did it and to which case, for a reviewer's audit event. */
export const caseAuditBy = (reviewer: Reviewer, caseId: string) => ({
  actor: { type: 'operator' as const, id: reviewer.id },
  subject: { type: 'review_case', id: caseId },
  ip: reviewer.ip,
  requestId: reviewer.requestId,
});

export interface ReviewDecision {
  caseId: string;
  outcome: 'approved' | 'rejected';
  /** The reviewer's words for a rejection, to show the user as written. */
  reason: string | null;
  decidedAt: Date;
}

/** A rejection's reason as the reviewer wrote it, trimmed: required, and at most REJECTION_REASON_MAX characters. */
export function rejectionReason(reason: string | undefined): string {
  const text = (reason ?? '').trim();
  if (!text) throw new ValidationError({ reason: 'review.error.reason_required' });
  if ([...text].length > REJECTION_REASON_MAX) {
    throw new DomainError('error.validation', 400, { reason: 'review.error.reason_too_long' }, { max: REJECTION_REASON_MAX });
  }
  return text;
}

const isVerification = (found: ReviewCase): found is VerificationCase => !isAppealKind(found.kind);

/** Why an account cannot open a case of the `expected` kind now, if it cannot. */
function ineligibility(expected: AccountKind, kind: string, status: RealNameStatus, hasPending: boolean): DomainError | undefined {
  if (kind !== expected) return new DomainError(expected === 'natural' ? 'review.error.not_natural' : 'legal_review.error.not_legal', 400);
  if (status === 'verified' || status === 'reviewed') return new DomainError('review.error.already_verified', 409);
  if (status === 'pending_review' || hasPending) return new DomainError('review.error.pending', 409);
  return undefined;
}

const personSnapshot = (block: PersonBlock): PersonSnapshot => ({
  name: block.name,
  identityType: block.identityType,
  documentType: block.documentType,
  documentNumberMasked: maskDocumentNumber(block.documentNumber),
  mobileMasked: maskMobile(block.mobile),
});

/** The unit as its case records it (masked); undefined unless readyForReview. */
function legalSnapshot(unit: LegalIdentity): LegalCaseSnapshot | undefined {
  if (!readyForReview(unit) || !unit.legalRepresentative) return undefined;
  return {
    orgName: unit.orgName,
    registrationRegion: unit.registrationRegion,
    orgType: unit.orgType,
    uscc: unit.registrationRegion === 'domestic' ? unit.uscc : null,
    registrationNumber: unit.registrationRegion === 'domestic' ? null : unit.registrationNumber,
    legalRepresentative: personSnapshot(unit.legalRepresentative),
    mainAgent: unit.mainAgent ? personSnapshot(unit.mainAgent) : null,
  };
}

/**
 * Manual real-name verification (SPEC §4, §10). A case is opened from the user's uploads and moves
 * the account to pending_review; a reviewer approves it (account → reviewed) or rejects it with a
 * reason (account → rejected, the reason shown to the user). Each step commits together with its
 * audit event:
 *
 *   account unverified|rejected ──open──▶ case pending, account pending_review
 *   case pending ──approve──▶ approved, account reviewed (+ real_name_verified_at)
 *   case pending ──reject(reason)──▶ rejected, account rejected
 *
 * Two kinds of case: a natural person's (document front and back) and a unit's (business licence,
 * legal representative's document, authorization letter stamped with the unit seal). Approval
 * keeps "one document, one account": a person's document, or a unit's USCC (claimed in
 * entity_claims), that already verifies another account cannot be approved.
 */
export class ReviewService {
  constructor(
    private readonly db: Db,
    private readonly cases: ReviewCaseRepository,
    private readonly uploads: UploadService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly accounts: Pick<AccountRepository, 'findLegalIdentity'>,
    private readonly entityClaims: EntityClaimRepository,
    private readonly identityClaims: Pick<VerificationRepository, 'claimDocument'>,
  ) {}

  /** Throws the reason an account cannot open a case (before it spends an upload on one). */
  async assertCanOpenNaturalVerification(accountId: string): Promise<void> {
    await this.assertCanOpen('natural', accountId);
  }

  /** As assertCanOpenNaturalVerification, for a unit; also refused while the unit's data is incomplete. */
  async assertCanOpenLegalVerification(accountId: string): Promise<void> {
    await this.assertCanOpen('legal', accountId);
    const unit = await this.accounts.findLegalIdentity(accountId);
    if (!unit || !legalSnapshot(unit)) throw new DomainError('legal_review.error.profile_incomplete', 400);
  }

  private async assertCanOpen(kind: AccountKind, accountId: string): Promise<void> {
    const account = await this.cases.realNameStatus(accountId);
    if (!account) throw new NotFoundError();
    const refusal = ineligibility(kind, account.kind, account.realNameStatus, await this.cases.hasPending(accountId));
    if (refusal) throw refusal;
  }

  /** Whether these stored uploads are the account's own, each of the purpose its role asks for. */
  private async ownImages(accountId: string, images: Record<string, string>, trx: Db): Promise<boolean> {
    const found = await Promise.all(Object.entries(images).map(async ([role, id]) => [role, await this.uploads.find(id, trx)] as const));
    return found.every(([role, upload]) => upload?.ownerAccountId === accountId && upload.purpose === role);
  }

  /**
   * Opens a case from two stored uploads of the account's own (front and back). Refused when the
   * account is not a natural person, is verified or reviewed already, has a case pending, or has no
   * identity document on file. `trx` lets the caller store the uploads in the same transaction.
   */
  async openNaturalVerificationCase(
    input: { accountId: string; frontUploadId: string; backUploadId: string },
    actor: Actor,
    trx?: Db,
  ): Promise<ReviewCase> {
    const work = async (tx: Db) => {
      const applicant = await this.cases.applicant(input.accountId, { trx: tx, lock: true });
      if (!applicant) throw new NotFoundError();
      const refusal = ineligibility('natural', applicant.kind, applicant.realNameStatus, await this.cases.hasPending(input.accountId, tx));
      if (refusal) throw refusal;
      if (!applicant.documentNumber || !applicant.name) throw new DomainError('review.error.document_missing', 400);

      const images = { identity_document_front: input.frontUploadId, identity_document_back: input.backUploadId };
      if (!(await this.ownImages(input.accountId, images, tx))) throw new DomainError('review.error.upload_invalid', 400);

      const opened = await this.cases.insert(
        {
          id: crypto.randomUUID(),
          kind: 'natural_verification',
          accountId: input.accountId,
          images,
          snapshot: {
            name: applicant.name,
            identityType: applicant.identityType,
            documentType: applicant.documentType,
            documentNumberMasked: maskDocumentNumber(applicant.documentNumber),
          },
        },
        tx,
      );
      await this.markOpened(opened, actor, tx);
      return opened;
    };
    return trx ? work(trx) : this.db.transaction(work);
  }

  /**
   * Opens a unit's case from three stored uploads of its own (business licence, legal
   * representative's document, authorization letter). Refused when the account is not a legal
   * account, is verified or reviewed already, has a case pending, or lacks its registration number
   * or legal representative. `trx` lets the caller store the uploads in the same transaction.
   */
  async openLegalVerificationCase(input: { accountId: string; images: LegalCaseImages }, actor: Actor, trx?: Db): Promise<ReviewCase> {
    const work = async (tx: Db) => {
      const unit = await this.accounts.findLegalIdentity(input.accountId, tx, true);
      if (!unit) {
        // Not a unit at all, or no such account: say which.
        const account = await this.cases.realNameStatus(input.accountId);
        if (!account) throw new NotFoundError();
        throw new DomainError('legal_review.error.not_legal', 400);
      }
      const refusal = ineligibility('legal', 'legal', unit.realNameStatus, await this.cases.hasPending(input.accountId, tx));
      if (refusal) throw refusal;
      const snapshot = legalSnapshot(unit);
      if (!snapshot) throw new DomainError('legal_review.error.profile_incomplete', 400);
      if (!(await this.ownImages(input.accountId, input.images, tx))) throw new DomainError('review.error.upload_invalid', 400);

      const opened = await this.cases.insert(
        { id: crypto.randomUUID(), kind: 'legal_verification', accountId: input.accountId, images: { ...input.images }, snapshot },
        tx,
      );
      await this.markOpened(opened, actor, tx);
      return opened;
    };
    return trx ? work(trx) : this.db.transaction(work);
  }

  private async markOpened(opened: VerificationCase, actor: Actor, trx: Db): Promise<void> {
    await this.cases.setRealNameStatus(opened.accountId, { from: ['unverified', 'rejected'], to: 'pending_review' }, trx);
    await this.audit.record(
      {
        event: 'review.opened',
        outcome: 'success',
        ...byActor(actor),
        subject: { type: 'review_case', id: opened.id },
        details: { accountId: opened.accountId, kind: opened.kind },
      },
      trx,
    );
  }

  /** Pending cases, oldest first, and how many there are in all. */
  async pendingQueue(limit = 100): Promise<{ cases: QueuedCase[]; total: number }> {
    const [cases, total] = await Promise.all([this.cases.pending(limit), this.cases.countPending()]);
    return { cases, total };
  }

  /** A case with what the reviewer needs to decide it. The look at the full number is audited. */
  async caseForReview(caseId: string, reviewer: Reviewer): Promise<CaseForReview> {
    const found = await this.cases.findById(caseId);
    // An appeal has its own page and service (src/flows/appeal).
    if (!found || found.accountId === null) throw new NotFoundError();
    const { documentNumber, duplicateHolder } = await this.applicantOf(found);
    await this.audit.record({
      event: 'review.case_viewed',
      outcome: 'success',
      ...caseAuditBy(reviewer, caseId),
      details: { accountId: found.accountId, kind: found.kind },
    });
    return { ...found, documentNumber, duplicateHolder };
  }

  /** The case's full document number and whoever else holds its document (or USCC) verified. */
  private async applicantOf(found: VerificationCase): Promise<Pick<CaseForReview, 'documentNumber' | 'duplicateHolder'>> {
    if (found.kind === 'legal_verification') {
      const unit = await this.accounts.findLegalIdentity(found.accountId);
      return {
        documentNumber: unit?.legalRepresentative?.documentNumber ?? null,
        duplicateHolder: unit?.uscc ? await this.entityClaims.holderOf(unit.uscc, found.accountId) : undefined,
      };
    }
    const applicant = await this.cases.applicant(found.accountId);
    return {
      documentNumber: applicant?.documentNumber ?? null,
      duplicateHolder: applicant?.documentNumberIndex ? await this.cases.otherVerifiedHolder(applicant.documentNumberIndex, found.accountId) : undefined,
    };
  }

  /** Whose case it was and how it ended, for the queue's line after a decision. */
  async decidedCase(caseId: string): Promise<{ loginName: string; status: 'approved' | 'rejected' } | undefined> {
    const found = await this.cases.findById(caseId);
    return found && found.loginName !== null && found.status !== 'pending' ? { loginName: found.loginName, status: found.status } : undefined;
  }

  /** An image of some case, decrypted: for the console, and nothing else. */
  async caseImage(uploadId: string): Promise<{ mediaType: ImageMediaType; bytes: Buffer } | undefined> {
    if (!(await this.cases.referencesUpload(uploadId))) return undefined;
    return this.uploads.read(uploadId);
  }

  async approve(caseId: string, reviewer: Reviewer): Promise<ReviewCase> {
    return this.decide(caseId, reviewer, 'approved', null);
  }

  /** `reason` is required (the user sees it on My Information). */
  async reject(caseId: string, reason: string, reviewer: Reviewer): Promise<ReviewCase> {
    return this.decide(caseId, reviewer, 'rejected', rejectionReason(reason));
  }

  /** The last decided case of the account (the reason of a rejection is for the user to read), if any. */
  async latestDecisionFor(accountId: string): Promise<ReviewDecision | undefined> {
    const decided = await this.cases.latestDecided(accountId);
    if (!decided) return undefined;
    return { caseId: decided.id, outcome: decided.status as ReviewDecision['outcome'], reason: decided.reason, decidedAt: decided.decidedAt! };
  }

  private async decide(caseId: string, reviewer: Reviewer, outcome: 'approved' | 'rejected', reason: string | null): Promise<ReviewCase> {
    return this.db.transaction(async (trx) => {
      const found = await this.cases.lockCase(caseId, trx);
      if (!found || !isVerification(found)) throw new NotFoundError();
      if (found.status !== 'pending') throw new DomainError('review.error.already_decided', 409);
      const decidedAt = this.clock();
      const claimed = await this.claimIdentity(found, outcome, decidedAt, trx);
      await this.cases.decide(caseId, { status: outcome, reason, reviewerId: reviewer.id, decidedAt }, trx);
      await this.cases.setRealNameStatus(
        found.accountId,
        outcome === 'approved' ? { from: ['pending_review'], to: 'reviewed', verifiedAt: decidedAt } : { from: ['pending_review'], to: 'rejected' },
        trx,
      );
      await this.audit.record(
        {
          event: outcome === 'approved' ? 'review.approved' : 'review.rejected',
          outcome: 'success',
          ...caseAuditBy(reviewer, caseId),
          details: { accountId: found.accountId, reviewerId: reviewer.id, reason, kind: found.kind, ...claimed },
        },
        trx,
      );
      return { ...found, status: outcome, reason, reviewerId: reviewer.id, decidedAt };
    });
  }

  /**
   * With the applicant's account locked: refuses an approval whose document (or USCC) already
   * verifies another account, and claims the document (identity_claims) or the USCC (entity_claims)
   * for the approved account, as automatic verification does. Returns what the audit event should name.
   */
  private async claimIdentity(found: VerificationCase, outcome: 'approved' | 'rejected', decidedAt: Date, trx: Db): Promise<{ uscc?: string }> {
    if (found.kind === 'natural_verification') {
      const applicant = await this.cases.applicant(found.accountId, { trx, lock: true });
      if (outcome === 'approved' && applicant?.documentNumberIndex && applicant.documentType) {
        const refused = new DomainError('review.error.document_already_verified', 409);
        if (await this.cases.otherVerifiedHolder(applicant.documentNumberIndex, found.accountId, trx)) throw refused;
        const holder = await this.identityClaims.claimDocument(
          { accountId: found.accountId, documentType: applicant.documentType, documentNumberIndex: applicant.documentNumberIndex, method: 'manual', verifiedAt: decidedAt },
          trx,
        );
        if (holder !== found.accountId) throw refused;
      }
      return {};
    }
    const unit = await this.accounts.findLegalIdentity(found.accountId, trx, true);
    if (outcome !== 'approved' || !unit?.uscc) return {};
    const refused = new DomainError('legal_review.error.uscc_already_verified', 409);
    if (await this.entityClaims.usccVerified(unit.uscc, found.accountId, trx)) throw refused;
    const holder = await this.entityClaims.claim({ uscc: unit.uscc, accountId: found.accountId, method: 'manual', verifiedAt: decidedAt }, trx);
    if (holder !== found.accountId) throw refused;
    return { uscc: unit.uscc };
  }
}
