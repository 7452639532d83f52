/**
 * Automatic real-name verification of natural persons (SPEC §4).
 *
 *   unverified / rejected / pending_review ──match, document free──▶ verified
 *        │  mismatch, authority unavailable, document taken, identity incomplete: unchanged
 *   verified / reviewed: settled; verifying again changes nothing and answers 'verified'
 *
 * The authority is asked outside any transaction (it may take seconds); the verdict is then
 * applied in one transaction that claims the document, so one document verifies one account.
 */
import { type Account, type RealNameStatus, isRealNameSettled } from '../accounts/account.types.js';
import type { Actor } from '../accounts/account.service.js';
import { validateDocumentNumber, type DocumentType } from '../accounts/identity-documents.js';
import { byActor, type AuditOutcome, type AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { NotFoundError } from '../errors.js';
import type { Logger } from '../logger.js';
import { maskDocumentNumber } from '../security/pii-crypto.js';
import { IdentityAuthorityUnavailable, type IdentityAuthority, type IdentityVerdict } from './identity-authority.js';
import type { NaturalIdentity, VerificationRepository } from './verification.repository.js';

/**
 * - verified: the account is (now, or already) real-name verified
 * - mismatch: the authority says name and document do not belong together
 * - unavailable: no verdict (authority down, or the identity changed meanwhile): try later or
 *   ask for manual review
 * - document_taken: the document already verifies another account: the appeal path
 * - incomplete: the account has no document to check yet
 */
export type VerificationOutcome = 'verified' | 'mismatch' | 'unavailable' | 'document_taken' | 'incomplete';

export interface VerificationResult {
  outcome: VerificationOutcome;
}

/** Verified automatically or by review: verifying again changes nothing. */
const LOCKED_IDENTITY: ReadonlySet<RealNameStatus> = new Set(['verified', 'reviewed', 'pending_review']);

/** Identity fields are frozen once verified, and while a reviewer looks at the uploaded documents. */
export function canEditIdentityFields(account: Pick<Account, 'realNameStatus'>): boolean {
  return !LOCKED_IDENTITY.has(account.realNameStatus);
}

/** How each outcome reads in the audit log (verification.automatic), for persons and units alike. */
export const AUDIT_OUTCOME: Record<VerificationOutcome, AuditOutcome> = {
  verified: 'success',
  mismatch: 'failure',
  unavailable: 'failure',
  document_taken: 'refused',
  incomplete: 'refused',
};

const sameIdentity = (a: NaturalIdentity, b: NaturalIdentity) =>
  a.name === b.name && a.documentType === b.documentType && a.documentNumberIndex === b.documentNumberIndex;

export class VerificationService {
  constructor(
    private readonly db: Db,
    private readonly repository: VerificationRepository,
    private readonly authority: IdentityAuthority,
    private readonly audit: AuditService,
    private readonly logger: Logger,
    private readonly clock: Clock,
  ) {}

  /** Checks the account's name and document with the identity authority and records the result. */
  async verifyNaturalAccount(accountId: string, actor: Actor): Promise<VerificationResult> {
    const identity = await this.repository.findIdentity(accountId);
    if (!identity || identity.kind !== 'natural') throw new NotFoundError();
    if (isRealNameSettled(identity.realNameStatus)) return this.finish(identity, actor, 'verified', { alreadyVerified: true });
    const { name, documentType, documentNumber, documentNumberIndex } = identity;
    if (!name || !documentType || !documentNumber || !documentNumberIndex) return this.finish(identity, actor, 'incomplete');
    // A document that already verifies another account ends here, sparing a (paid) authority query.
    if (await this.repository.documentVerified(documentType, documentNumberIndex, accountId)) {
      return this.finish(identity, actor, 'document_taken');
    }

    let verdict: IdentityVerdict;
    try {
      verdict = await this.authority.checkPerson({ name, documentType, documentNumber });
    } catch (error) {
      if (!(error instanceof IdentityAuthorityUnavailable)) throw error;
      this.logger.warn({ err: error, reason: error.reason }, 'identity authority unavailable');
      return this.finish(identity, actor, 'unavailable', { reason: error.reason });
    }
    if (verdict === 'mismatch') return this.finish(identity, actor, 'mismatch');

    return this.db.transaction(async (trx) => {
      const current = await this.repository.findIdentity(accountId, trx, true);
      if (!current) throw new NotFoundError();
      if (isRealNameSettled(current.realNameStatus)) return this.finish(current, actor, 'verified', { alreadyVerified: true }, trx);
      // The verdict is about what was asked; a save in between needs a fresh check.
      if (!sameIdentity(current, identity)) return this.finish(current, actor, 'unavailable', { reason: 'identity_changed' }, trx);
      if (await this.repository.documentVerified(documentType, documentNumberIndex, accountId, trx)) {
        return this.finish(current, actor, 'document_taken', {}, trx);
      }
      const now = this.clock();
      const holder = await this.repository.claimDocument(
        { accountId, documentType, documentNumberIndex, method: 'automatic', verifiedAt: now },
        trx,
      );
      if (holder !== accountId) return this.finish(current, actor, 'document_taken', {}, trx);
      await this.repository.markVerified(accountId, now, trx);
      return this.finish(current, actor, 'verified', {}, trx);
    });
  }

  /**
   * Whether this document already real-name verifies an account, for registration's "check
   * whether this document number exists". A number that is not valid for its type verifies none.
   */
  async documentAlreadyVerified(documentType: DocumentType, documentNumber: string): Promise<boolean> {
    const checked = validateDocumentNumber(documentType, documentNumber, this.clock());
    if (!checked.ok) return false;
    return this.repository.documentVerified(documentType, this.repository.blindIndex(checked.normalized));
  }

  /** Audits the attempt (the document masked) and answers its outcome. */
  private async finish(
    identity: NaturalIdentity,
    actor: Actor,
    outcome: VerificationOutcome,
    details: Record<string, unknown> = {},
    trx: Db = this.db,
  ): Promise<VerificationResult> {
    await this.audit.record(
      {
        event: 'verification.automatic',
        outcome: AUDIT_OUTCOME[outcome],
        ...byActor(actor),
        subject: { type: 'account', id: identity.accountId },
        details: {
          result: outcome,
          documentType: identity.documentType,
          documentNumberMasked: identity.documentNumber ? maskDocumentNumber(identity.documentNumber) : null,
          ...details,
        },
      },
      trx,
    );
    return { outcome };
  }
}
