import type { AccountRepository } from '../accounts/account.repository.js';
import type { PersonBlock } from '../accounts/account.types.js';
import type { Person } from '../accounts/person-block.rules.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { DomainError, NotFoundError, ValidationError } from '../errors.js';
import type { AccountMatch, AppealRecord, AppealRepository } from '../flows/appeal/appeal.repository.js';
import { appealMobile, appellant, type Appeal } from '../flows/appeal/appeal.rules.js';
import { loginNameKey } from '../accounts/login-name.js';
import type { LoginThrottleRepository } from '../flows/login/login-throttle.repository.js';
import type { OneTimeCredentialService } from '../flows/recovery/one-time-credential.service.js';
import type { SmsNotices } from '../notify/sms-notices.js';
import { maskDocumentNumber, maskMobile } from '../security/pii-crypto.js';
import type { ReviewCaseRepository } from './review-case.repository.js';
import { caseAuditBy, rejectionReason, type Reviewer } from './review.service.js';

export type { AccountMatch };

/** An appeal with the accounts it may be about, for the reviewer's page. */
export interface AppealForReview extends AppealRecord {
  matches: AccountMatch[];
  /** The applicant's (a unit's main agent's) document number and mobile as the page shows them first. */
  masked: { documentNumber: string; mobile: string };
}

/** How a decision went, for the queue's line after it. */
export interface AppealDecided {
  caseNumber: string;
  status: 'approved' | 'rejected';
  loginName: string | null;
}

export interface ApprovalChoice {
  /** Which matching account: required when several match. */
  accountId?: string;
  /** Legal appeals: replace the main agent and the reserved mobile with the appeal's. */
  replaceContact: boolean;
}

/** The main agent as the appeal names them, keeping the validity on file when it is the same document. */
function mainAgentFrom(appellant: Person, onFile: PersonBlock | null): PersonBlock {
  const same = onFile?.documentType === appellant.documentType && onFile.documentNumber === appellant.documentNumber;
  return { ...appellant, documentValidUntil: same ? onFile.documentValidUntil : null, documentLongTerm: same ? onFile.documentLongTerm : false };
}

/**
 * Deciding appeals (SPEC §7, §10). The reviewer sees the appeal in clear beside the accounts its
 * document (natural) or USCC (legal) belongs to, and approves for one of them or rejects with a
 * reason. Approval, in one transaction with the decision and its audit event: a one-time
 * credential for the account, the appeal's mobile as the reserved mobile (a unit's: with its main
 * agent, if the reviewer so chooses). After commit the applicant is told by SMS; the credential
 * exists in clear only in that message. Rejection changes nothing about any account.
 */
export class AppealReviewService {
  constructor(
    private readonly db: Db,
    private readonly cases: Pick<ReviewCaseRepository, 'decide'>,
    private readonly appeals: AppealRepository,
    private readonly accounts: Pick<AccountRepository, 'updateMobile' | 'findLegalIdentity' | 'updateLegalProfile'>,
    private readonly credentials: Pick<OneTimeCredentialService, 'issue'>,
    private readonly throttles: Pick<LoginThrottleRepository, 'reset'>,
    private readonly notices: Pick<SmsNotices, 'send'>,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** The appeal, its images and its matches. The look at the data in clear is audited. */
  async caseForReview(caseId: string, reviewer: Reviewer): Promise<AppealForReview> {
    const found = await this.appeals.find(caseId);
    if (!found) throw new NotFoundError();
    const matches = await this.matchesOf(found.applicant);
    await this.audit.record({
      event: 'appeal.case_viewed',
      outcome: 'success',
      ...caseAuditBy(reviewer, caseId),
      details: { kind: found.kind, caseNumber: found.caseNumber, matches: matches.length },
    });
    const person = appellant(found.applicant);
    return { ...found, matches, masked: { documentNumber: maskDocumentNumber(person.documentNumber), mobile: maskMobile(person.mobile) } };
  }

  private matchesOf(appeal: Appeal, trx?: Db): Promise<AccountMatch[]> {
    return appeal.kind === 'natural'
      ? this.appeals.naturalMatches(appeal.person.documentType, appeal.person.documentNumber, trx)
      : this.appeals.legalMatches(appeal.uscc, appeal.orgName, trx);
  }

  /** Resolves with whether the SMS reached the gateway (the decision stands either way). */
  async approve(caseId: string, choice: ApprovalChoice, reviewer: Reviewer): Promise<{ noticeSent: boolean }> {
    const approved = await this.db.transaction(async (trx) => {
      const found = await this.pendingAppeal(caseId, trx);
      const matches = await this.matchesOf(found.applicant, trx);
      if (matches.length === 0) throw new DomainError('appeal_console.error.no_match', 409);
      const chosen = choice.accountId ? matches.find((match) => match.accountId === choice.accountId) : matches.length === 1 ? matches[0] : undefined;
      if (!chosen) throw new ValidationError({ accountId: choice.accountId ? 'appeal_console.error.not_a_match' : 'appeal_console.error.choose_account' });

      const { applicant } = found;
      const replacedContact = applicant.kind === 'legal' ? choice.replaceContact : null;
      if (applicant.kind === 'natural') {
        await this.accounts.updateMobile(chosen.accountId, applicant.person.mobile, trx);
      } else if (replacedContact) {
        const unit = await this.accounts.findLegalIdentity(chosen.accountId, trx, true);
        if (!unit) throw new NotFoundError();
        const { accountId: _id, realNameStatus: _status, ...profile } = unit;
        await this.accounts.updateLegalProfile(chosen.accountId, { ...profile, mainAgent: mainAgentFrom(applicant.mainAgent, unit.mainAgent) }, trx);
        await this.accounts.updateMobile(chosen.accountId, applicant.mainAgent.mobile, trx);
      }
      const issued = await this.credentials.issue(chosen.accountId, `appeal:${caseId}`, trx);
      // A lock from failed attempts (the very reason for many an appeal) must not hold the credential back.
      await this.throttles.reset(loginNameKey(chosen.loginName), trx);
      const decidedAt = this.clock();
      await this.cases.decide(caseId, { status: 'approved', reason: null, reviewerId: reviewer.id, decidedAt }, trx);
      await this.appeals.recordApproval(caseId, { accountId: chosen.accountId, replacedContact }, trx);
      await this.audit.record(
        {
          event: 'appeal.approved',
          outcome: 'success',
          ...caseAuditBy(reviewer, caseId),
          details: {
            kind: found.kind,
            caseNumber: found.caseNumber,
            reviewerId: reviewer.id,
            accountId: chosen.accountId,
            mobileReplaced: applicant.kind === 'natural' || replacedContact === true,
            replacedContact,
            credentialExpiresAt: issued.expiresAt.toISOString(),
          },
        },
        trx,
      );
      return { found, chosen, issued, decidedAt };
    });

    const { found, chosen, issued, decidedAt } = approved;
    const hours = String(Math.round((issued.expiresAt.getTime() - decidedAt.getTime()) / 3600_000));
    const sent = await this.notices.send(appealMobile(found.applicant), 'appeal_approved', {
      caseNumber: found.caseNumber,
      loginName: chosen.loginName,
      credential: issued.credential,
      hours,
    });
    await this.recordNotice(found, sent, reviewer);
    return { noticeSent: sent };
  }

  /** `reason` is required: the applicant is texted it, and the status page shows it. */
  async reject(caseId: string, reason: string, reviewer: Reviewer): Promise<{ noticeSent: boolean }> {
    const text = rejectionReason(reason);
    const found = await this.db.transaction(async (trx) => {
      const pending = await this.pendingAppeal(caseId, trx);
      await this.cases.decide(caseId, { status: 'rejected', reason: text, reviewerId: reviewer.id, decidedAt: this.clock() }, trx);
      await this.audit.record(
        {
          event: 'appeal.rejected',
          outcome: 'success',
          ...caseAuditBy(reviewer, caseId),
          details: { kind: pending.kind, caseNumber: pending.caseNumber, reviewerId: reviewer.id, reason: text },
        },
        trx,
      );
      return pending;
    });
    const sent = await this.notices.send(appealMobile(found.applicant), 'appeal_rejected', { caseNumber: found.caseNumber, reason: text });
    await this.recordNotice(found, sent, reviewer);
    return { noticeSent: sent };
  }

  /** How a decided appeal ended, for the queue's notice; undefined while pending or for another kind of case. */
  async decided(caseId: string): Promise<AppealDecided | undefined> {
    const found = await this.appeals.find(caseId);
    if (!found || found.status === 'pending') return undefined;
    return { caseNumber: found.caseNumber, status: found.status, loginName: found.approvedLoginName };
  }

  private async pendingAppeal(caseId: string, trx: Db): Promise<AppealRecord> {
    const found = await this.appeals.find(caseId, { trx, lock: true });
    if (!found) throw new NotFoundError();
    if (found.status !== 'pending') throw new DomainError('review.error.already_decided', 409);
    return found;
  }

  /** The decision's SMS, sent or not: support answers "I never got it" from here. */
  private async recordNotice(found: AppealRecord, sent: boolean, reviewer: Reviewer): Promise<void> {
    await this.audit.record({
      event: 'appeal.notice_sent',
      outcome: sent ? 'success' : 'failure',
      ...caseAuditBy(reviewer, found.caseId),
      details: { caseNumber: found.caseNumber, mobile: maskMobile(appealMobile(found.applicant)) },
    });
  }
}
