import crypto from 'node:crypto';
import { normalizeMobile } from '../../accounts/identity-documents.js';
import type { AuditService } from '../../audit/audit.service.js';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import { RateLimitedError } from '../../errors.js';
import type { SmsCodeService } from '../../notify/sms-code.service.js';
import type { ReviewCaseRepository } from '../../review/review-case.repository.js';
import { maskDocumentNumber, maskMobile } from '../../security/pii-crypto.js';
import type { RateLimiter } from '../../security/rate-limiter.js';
import type { CleanImage } from '../../uploads/image-sanitizer.js';
import type { UploadService } from '../../uploads/upload.service.js';
import type { AppealRecord, AppealRepository } from './appeal.repository.js';
import { appealMobile, appellant, newCaseNumber, normalizeCaseNumber, type Appeal } from './appeal.rules.js';
import type { Person } from '../../accounts/person-block.rules.js';

/** Appeals one address may file a day: a family or an office, not a script. */
export const APPEALS_PER_ADDRESS_PER_DAY = 10;
/** Appeals about one document (or one unit's USCC) a day: a retry after a mistake, not a siege. */
export const APPEALS_PER_DOCUMENT_PER_DAY = 3;
const DAY_SECONDS = 24 * 3600;

export interface Submission {
  appeal: Appeal;
  /** The applicant's document, front and back, already checked by UploadService.check. */
  images: { front: CleanImage; back: CleanImage };
  smsCode: string;
  ip: string;
  requestId?: string;
}

/** What the status page tells: never the account, the applicant's data, or whether it matched. */
export interface AppealStatus {
  caseNumber: string;
  kind: Appeal['kind'];
  status: AppealRecord['status'];
  reason: string | null;
  submittedAt: Date;
  decidedAt: Date | null;
}

/** Too many appeals from this address, or about this document or unit, today. */
export class AppealLimitReached extends RateLimitedError {
  constructor(retryAfterSeconds: number) {
    super(retryAfterSeconds, 'appeal.error.limit');
  }
}

interface Budget {
  key: string;
  limit: number;
}

/** Another appeal drew the same case number today: draw again. */
class CaseNumberTaken extends Error {}

const personSnapshot = (person: Person) => ({
  name: person.name,
  identityType: person.identityType,
  documentType: person.documentType,
  documentNumberMasked: maskDocumentNumber(person.documentNumber),
  mobileMasked: maskMobile(person.mobile),
});

/**
 * Filing appeals (申诉找回密码, SPEC §7) and telling their status. An appeal is accepted the same way
 * whether or not its document (or USCC) belongs to an account: nothing is looked up when it is
 * filed, so the answer cannot tell anyone which documents or units have accounts; the reviewer
 * matches it (appeal-review.service.ts).
 *
 *   filed (case pending) ──approve──▶ approved: one-time credential by SMS
 *                        ──reject(reason)──▶ rejected: the reason by SMS
 */
export class AppealService {
  constructor(
    private readonly db: Db,
    private readonly cases: ReviewCaseRepository,
    private readonly appeals: AppealRepository,
    private readonly uploads: UploadService,
    private readonly smsCodes: Pick<SmsCodeService, 'verifyCode'>,
    private readonly rateLimiter: RateLimiter,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /**
   * Files an appeal whose fields and images were checked: the daily limits, then the SMS code to
   * the appeal's mobile (spent), then the images, the case and the appeal in one transaction.
   * Throws AppealLimitReached (429) or the code's refusal (field smsCode).
   */
  async submit(submission: Submission): Promise<{ caseId: string; caseNumber: string }> {
    const { appeal, ip, requestId } = submission;
    const budgets = this.budgets(appeal, ip);
    // Told before the code is spent; counted only once it is right, so nobody can use up the
    // budget of someone else's document without receiving its codes.
    await this.refuseOverBudget(budgets, (budget) => this.rateLimiter.peek(budget.key, budget.limit), submission);
    await this.smsCodes.verifyCode({ mobile: appealMobile(appeal), purpose: 'appeal', code: submission.smsCode, ip, requestId });
    await this.refuseOverBudget(budgets, (budget) => this.rateLimiter.hit(budget.key, budget.limit, DAY_SECONDS), submission);

    return this.db.transaction(async (trx) => {
      const front = await this.uploads.save(null, 'identity_document_front', submission.images.front, trx);
      const back = await this.uploads.save(null, 'identity_document_back', submission.images.back, trx);
      const caseId = crypto.randomUUID();
      const images = { identity_document_front: front.id, identity_document_back: back.id };
      const newCase = (caseNumber: string) =>
        appeal.kind === 'natural'
          ? { id: caseId, kind: 'natural_appeal' as const, accountId: null, images, snapshot: { caseNumber, ...personSnapshot(appeal.person) } }
          : {
              id: caseId,
              kind: 'legal_appeal' as const,
              accountId: null,
              images,
              snapshot: { caseNumber, orgName: appeal.orgName, orgType: appeal.orgType, uscc: appeal.uscc, mainAgent: personSnapshot(appeal.mainAgent) },
            };
      let caseNumber: string;
      for (;;) {
        caseNumber = newCaseNumber(this.clock());
        try {
          // A savepoint: a case number drawn twice in a day undoes only this try.
          await trx.transaction(async (attempt) => {
            await this.cases.insert(newCase(caseNumber), attempt);
            if (!(await this.appeals.insert({ caseId, caseNumber, applicant: appeal }, attempt))) throw new CaseNumberTaken();
          });
          break;
        } catch (error) {
          if (!(error instanceof CaseNumberTaken)) throw error;
        }
      }
      await this.audit.record(
        {
          event: 'appeal.submitted',
          outcome: 'success',
          actor: { type: 'anonymous' },
          subject: { type: 'review_case', id: caseId },
          ip,
          requestId,
          details: { kind: newCase(caseNumber).kind, caseNumber, documentType: appellant(appeal).documentType, mobile: maskMobile(appealMobile(appeal)) },
        },
        trx,
      );
      return { caseId, caseNumber };
    });
  }

  /** The daily budgets this appeal spends: its address's, the applicant's document's, a unit's USCC's. */
  private budgets(appeal: Appeal, ip: string): Budget[] {
    const person = appellant(appeal);
    const budgets = [
      { key: `appeal-address:${ip}`, limit: APPEALS_PER_ADDRESS_PER_DAY },
      // A keyed hash: the rate-limit table never holds a document number.
      { key: `appeal-document:${this.appeals.blindIndex(`${person.documentType}:${person.documentNumber}`)}`, limit: APPEALS_PER_DOCUMENT_PER_DAY },
    ];
    if (appeal.kind === 'legal') budgets.push({ key: `appeal-uscc:${appeal.uscc}`, limit: APPEALS_PER_DOCUMENT_PER_DAY });
    return budgets;
  }

  private async refuseOverBudget(
    budgets: Budget[],
    count: (budget: Budget) => Promise<{ allowed: boolean; retryAfterSeconds: number }>,
    submission: Submission,
  ): Promise<void> {
    for (const budget of budgets) {
      const limit = await count(budget);
      if (limit.allowed) continue;
      await this.audit.record({
        event: 'appeal.submitted',
        outcome: 'refused',
        actor: { type: 'anonymous' },
        ip: submission.ip,
        requestId: submission.requestId,
        details: { kind: submission.appeal.kind, reason: budget.key.slice(0, budget.key.indexOf(':')) },
      });
      throw new AppealLimitReached(limit.retryAfterSeconds);
    }
  }

  /** What 等待审核 tells the browser that filed the appeal: its number and where the answer goes. */
  async submitted(caseId: string): Promise<{ caseNumber: string; kind: Appeal['kind']; mobileMasked: string } | undefined> {
    const found = await this.appeals.find(caseId);
    return found && { caseNumber: found.caseNumber, kind: found.applicant.kind, mobileMasked: maskMobile(appealMobile(found.applicant)) };
  }

  /**
   * 申诉进度查询: the case number with the appeal's mobile. A wrong pair, or either alone, finds
   * nothing: the same undefined, however it was wrong.
   */
  async status(caseNumber: string, mobile: string): Promise<AppealStatus | undefined> {
    const number = normalizeCaseNumber(caseNumber);
    const found = number ? await this.appeals.findByCaseNumber(number) : undefined;
    const given = Buffer.from(normalizeMobile(mobile));
    const expected = Buffer.from(found ? appealMobile(found.applicant) : '');
    if (!found || given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return undefined;
    return { caseNumber: found.caseNumber, kind: found.applicant.kind, status: found.status, reason: found.reason, submittedAt: found.createdAt, decidedAt: found.decidedAt };
  }
}
