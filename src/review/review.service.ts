import crypto from 'node:crypto';
import type { Actor } from '../accounts/account.service.js';
import type { RealNameStatus } from '../accounts/account.types.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { DomainError, NotFoundError, ValidationError } from '../errors.js';
import { maskDocumentNumber } from '../security/pii-crypto.js';
import type { ImageMediaType } from '../uploads/image-sanitizer.js';
import type { UploadService } from '../uploads/upload.service.js';
import type { QueuedCase, ReviewCase, ReviewCaseRepository } from './review-case.repository.js';

export type { QueuedCase, ReviewCase };

/** Longer reasons are not read; the form says so. */
export const REJECTION_REASON_MAX = 500;

export interface CaseForReview extends QueuedCase {
  /** The full document number, decrypted for the reviewer's eyes only. */
  documentNumber: string | null;
  /** Another account already verified with this document: the case cannot be approved. */
  duplicateHolder: { loginName: string } | undefined;
}

/** The operator deciding or looking, with where the request came from (for the audit log). */
export interface Reviewer {
  id: string;
  ip?: string;
  requestId?: string;
}

export interface ReviewDecision {
  caseId: string;
  outcome: 'approved' | 'rejected';
  /** The reviewer's words for a rejection, to show the user as written. */
  reason: string | null;
  decidedAt: Date;
}

/** Why an account cannot open a case now, if it cannot. */
function ineligibility(kind: string, status: RealNameStatus, hasPending: boolean): DomainError | undefined {
  if (kind !== 'natural') return new DomainError('review.error.not_natural', 400);
  if (status === 'verified' || status === 'reviewed') return new DomainError('review.error.already_verified', 409);
  if (status === 'pending_review' || hasPending) return new DomainError('review.error.pending', 409);
  return undefined;
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
 */
export class ReviewService {
  constructor(
    private readonly db: Db,
    private readonly cases: ReviewCaseRepository,
    private readonly uploads: UploadService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** Throws the reason an account cannot open a case (before it spends an upload on one). */
  async assertCanOpenNaturalVerification(accountId: string): Promise<void> {
    const account = await this.cases.realNameStatus(accountId);
    if (!account) throw new NotFoundError();
    const refusal = ineligibility(account.kind, account.realNameStatus, await this.cases.hasPending(accountId));
    if (refusal) throw refusal;
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
      const refusal = ineligibility(applicant.kind, applicant.realNameStatus, await this.cases.hasPending(input.accountId, tx));
      if (refusal) throw refusal;
      if (!applicant.documentNumber || !applicant.name) throw new DomainError('review.error.document_missing', 400);

      const [front, back] = await Promise.all([this.uploads.find(input.frontUploadId, tx), this.uploads.find(input.backUploadId, tx)]);
      const fits = (upload: typeof front, purpose: string) => upload?.ownerAccountId === input.accountId && upload.purpose === purpose;
      if (!fits(front, 'identity_document_front') || !fits(back, 'identity_document_back')) {
        throw new DomainError('review.error.upload_invalid', 400);
      }

      const opened = await this.cases.insert(
        {
          id: crypto.randomUUID(),
          kind: 'natural_verification',
          accountId: input.accountId,
          frontUploadId: input.frontUploadId,
          backUploadId: input.backUploadId,
          snapshot: {
            name: applicant.name,
            identityType: applicant.identityType,
            documentType: applicant.documentType,
            documentNumberMasked: maskDocumentNumber(applicant.documentNumber),
          },
        },
        tx,
      );
      await this.cases.setRealNameStatus(input.accountId, { from: ['unverified', 'rejected'], to: 'pending_review' }, tx);
      await this.audit.record(
        {
          event: 'review.opened',
          outcome: 'success',
          actor: { type: actor.type, id: actor.id },
          subject: { type: 'review_case', id: opened.id },
          ip: actor.ip,
          requestId: actor.requestId,
          details: { accountId: input.accountId, kind: opened.kind },
        },
        tx,
      );
      return opened;
    };
    return trx ? work(trx) : this.db.transaction(work);
  }

  /** Pending cases, oldest first, and how many there are in all. */
  async pendingQueue(limit = 100): Promise<{ cases: QueuedCase[]; total: number }> {
    const [cases, total] = await Promise.all([this.cases.pending(limit), this.cases.countPending()]);
    return { cases, total };
  }

  /** A case with what the reviewer needs to decide it. The look at the full number is audited. */
  async caseForReview(caseId: string, reviewer: Reviewer): Promise<CaseForReview> {
    const found = await this.cases.findById(caseId);
    if (!found) throw new NotFoundError();
    const applicant = await this.cases.applicant(found.accountId);
    const duplicateHolder = applicant?.documentNumberIndex
      ? await this.cases.otherVerifiedHolder(applicant.documentNumberIndex, found.accountId)
      : undefined;
    await this.audit.record({
      event: 'review.case_viewed',
      outcome: 'success',
      actor: { type: 'operator', id: reviewer.id },
      subject: { type: 'review_case', id: caseId },
      ip: reviewer.ip,
      requestId: reviewer.requestId,
      details: { accountId: found.accountId },
    });
    return { ...found, documentNumber: applicant?.documentNumber ?? null, duplicateHolder };
  }

  /** Whose case it was and how it ended, for the queue's line after a decision. */
  async decidedCase(caseId: string): Promise<{ loginName: string; status: 'approved' | 'rejected' } | undefined> {
    const found = await this.cases.findById(caseId);
    return found && found.status !== 'pending' ? { loginName: found.loginName, status: found.status } : undefined;
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
    const text = (reason ?? '').trim();
    if (!text) throw new ValidationError({ reason: 'review.error.reason_required' });
    if ([...text].length > REJECTION_REASON_MAX) {
      throw new DomainError('error.validation', 400, { reason: 'review.error.reason_too_long' }, { max: REJECTION_REASON_MAX });
    }
    return this.decide(caseId, reviewer, 'rejected', text);
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
      if (!found) throw new NotFoundError();
      if (found.status !== 'pending') throw new DomainError('review.error.already_decided', 409);
      const applicant = await this.cases.applicant(found.accountId, { trx, lock: true });
      if (outcome === 'approved' && applicant?.documentNumberIndex) {
        const holder = await this.cases.otherVerifiedHolder(applicant.documentNumberIndex, found.accountId, trx);
        if (holder) throw new DomainError('review.error.document_already_verified', 409);
      }
      const decidedAt = this.clock();
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
          actor: { type: 'operator', id: reviewer.id },
          subject: { type: 'review_case', id: caseId },
          ip: reviewer.ip,
          requestId: reviewer.requestId,
          details: { accountId: found.accountId, reviewerId: reviewer.id, reason },
        },
        trx,
      );
      return { ...found, status: outcome, reason, reviewerId: reviewer.id, decidedAt };
    });
  }
}
