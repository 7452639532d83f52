import { REAL_NAME_SETTLED } from '../../accounts/account.types.js';
import type { AccountKind, AccountStatus, RealNameStatus } from '../../accounts/account.types.js';
import type { DocumentType } from '../../accounts/identity-documents.js';
import { orgNameKey } from '../../accounts/org-name.js';
import type { Db } from '../../db/database.js';
import { maskMobile, type PiiCrypto } from '../../security/pii-crypto.js';
import type { AppealCaseKind, CaseImages, ReviewCaseStatus } from '../../review/review-case.repository.js';
import type { Appeal } from './appeal.rules.js';

/** An appeal with its case: the applicant's data decrypted (for the reviewer and the rules only). */
export interface AppealRecord {
  caseId: string;
  caseNumber: string;
  kind: AppealCaseKind;
  status: ReviewCaseStatus;
  /** The reviewer's reason for a rejection, as the applicant is told it. */
  reason: string | null;
  applicant: Appeal;
  images: CaseImages;
  /** The account an approval chose, and its login name. */
  accountId: string | null;
  approvedLoginName: string | null;
  replacedContact: boolean | null;
  createdAt: Date;
  decidedAt: Date | null;
}

/** An account an appeal may be about, as the reviewer sees it: the reserved mobile masked. */
export interface AccountMatch {
  accountId: string;
  loginName: string;
  kind: AccountKind;
  status: AccountStatus;
  realNameStatus: RealNameStatus;
  mobileMasked: string;
  /** It holds the document's (or USCC's) verification claim: the likeliest owner. */
  holdsClaim: boolean;
  /** Legal accounts: the unit name on file, and whether it is the appeal's (compared by orgNameKey). */
  orgName: string | null;
  orgNameMatches: boolean | null;
}

const isUuid = (id: string) => /^[0-9a-f-]{36}$/i.test(id);

const COLUMNS = [
  'c.id as case_id', 'c.kind', 'c.status', 'c.reason', 'c.created_at', 'c.decided_at',
  'p.case_number', 'p.applicant_encrypted', 'p.account_id', 'p.replaced_contact', 'a.login_name as approved_login_name',
];
/** Each case row with its images, as one object {role: upload id}. */
const IMAGES = `(select coalesce(json_object_agg(i.role, i.upload_id), '{}'::json) from review_case_uploads i where i.case_id = c.id) as images`;

/**
 * SQL for appeals (the `appeals` rows beside their review cases) and for the accounts an appeal
 * may be about. The applicant's data is encrypted and decrypted here, at the edge.
 */
export class AppealRepository {
  constructor(
    private readonly db: Db,
    private readonly crypt: PiiCrypto,
  ) {}

  /** The keyed hash a document (or anything else personal) is counted and matched by. */
  blindIndex(value: string): string {
    return this.crypt.blindIndex(value);
  }

  /** Files the appeal beside its case; false when the case number is taken (draw another). */
  async insert(appeal: { caseId: string; caseNumber: string; applicant: Appeal }, trx: Db): Promise<boolean> {
    const inserted = await trx('appeals')
      .insert({ case_id: appeal.caseId, case_number: appeal.caseNumber, applicant_encrypted: this.crypt.encrypt(JSON.stringify(appeal.applicant)) })
      .onConflict('case_number')
      .ignore()
      .returning('case_id');
    return inserted.length === 1;
  }

  /** With `lock`, the case row stays locked until the transaction ends (decisions take turns). */
  async find(caseId: string, options: { trx?: Db; lock?: boolean } = {}): Promise<AppealRecord | undefined> {
    if (!isUuid(caseId)) return undefined;
    const trx = options.trx ?? this.db;
    const query = trx('review_cases as c')
      .join('appeals as p', 'p.case_id', 'c.id')
      .leftJoin('accounts as a', 'a.id', 'p.account_id')
      .where('c.id', caseId)
      .first(...COLUMNS, trx.raw(IMAGES));
    if (options.lock) query.forUpdate('c');
    const row = await query;
    return row ? this.toRecord(row) : undefined;
  }

  async findByCaseNumber(caseNumber: string): Promise<AppealRecord | undefined> {
    const row = await this.db('review_cases as c')
      .join('appeals as p', 'p.case_id', 'c.id')
      .leftJoin('accounts as a', 'a.id', 'p.account_id')
      .where('p.case_number', caseNumber)
      .first(...COLUMNS, this.db.raw(IMAGES));
    return row ? this.toRecord(row) : undefined;
  }

  async recordApproval(caseId: string, approval: { accountId: string; replacedContact: boolean | null }, trx: Db): Promise<void> {
    await trx('appeals').where({ case_id: caseId }).update({ account_id: approval.accountId, replaced_contact: approval.replacedContact });
  }

  /**
   * The natural accounts this document has verified: the holder of its claim (identity_claims)
   * first, then accounts verified with it outside the claims (CLI, imports).
   */
  async naturalMatches(documentType: DocumentType, documentNumber: string, trx: Db = this.db): Promise<AccountMatch[]> {
    const index = this.crypt.blindIndex(documentNumber);
    const { rows } = (await trx.raw(
      `select a.id, a.login_name, a.kind, a.status, a.real_name_status, a.mobile_encrypted, null as org_name,
              exists (select 1 from identity_claims c where c.account_id = a.id and c.document_type = ? and c.document_number_index = ?) as holds_claim
         from accounts a
        where a.id in (select account_id from identity_claims where document_type = ? and document_number_index = ?)
           or a.id in (select n.account_id from natural_profiles n join accounts v on v.id = n.account_id
                        where n.document_type = ? and n.document_number_index = ? and v.real_name_status = any(?::text[]))
        order by holds_claim desc, a.real_name_verified_at nulls last, a.created_at`,
      [documentType, index, documentType, index, documentType, index, [...REAL_NAME_SETTLED]],
    )) as { rows: Record<string, unknown>[] };
    return rows.map((row) => this.toMatch(row, null));
  }

  /** The legal accounts with this USCC, whatever their verification: the holder of its claim (entity_claims) first. */
  async legalMatches(uscc: string, orgName: string, trx: Db = this.db): Promise<AccountMatch[]> {
    const { rows } = (await trx.raw(
      `select a.id, a.login_name, a.kind, a.status, a.real_name_status, a.mobile_encrypted, l.org_name, l.org_name_key,
              exists (select 1 from entity_claims e where e.account_id = a.id and e.uscc = ?) as holds_claim
         from accounts a
         join legal_profiles l on l.account_id = a.id
        where l.uscc = ? or a.id in (select account_id from entity_claims where uscc = ?)
        order by holds_claim desc, a.real_name_verified_at nulls last, a.created_at`,
      [uscc, uscc, uscc],
    )) as { rows: Record<string, unknown>[] };
    return rows.map((row) => this.toMatch(row, orgNameKey(orgName)));
  }

  private toMatch(row: Record<string, unknown>, appealOrgNameKey: string | null): AccountMatch {
    return {
      accountId: row.id as string,
      loginName: row.login_name as string,
      kind: row.kind as AccountKind,
      status: row.status as AccountStatus,
      realNameStatus: row.real_name_status as RealNameStatus,
      mobileMasked: maskMobile(this.crypt.decrypt(row.mobile_encrypted as string)),
      holdsClaim: Boolean(row.holds_claim),
      orgName: (row.org_name as string | null) ?? null,
      orgNameMatches: appealOrgNameKey === null ? null : row.org_name_key === appealOrgNameKey,
    };
  }

  private toRecord(row: Record<string, unknown>): AppealRecord {
    return {
      caseId: row.case_id as string,
      caseNumber: row.case_number as string,
      kind: row.kind as AppealCaseKind,
      status: row.status as ReviewCaseStatus,
      reason: row.reason as string | null,
      applicant: JSON.parse(this.crypt.decrypt(row.applicant_encrypted as string)) as Appeal,
      images: (row.images ?? {}) as CaseImages,
      accountId: row.account_id as string | null,
      approvedLoginName: row.approved_login_name as string | null,
      replacedContact: row.replaced_contact as boolean | null,
      createdAt: new Date(row.created_at as string),
      decidedAt: row.decided_at ? new Date(row.decided_at as string) : null,
    };
  }
}
