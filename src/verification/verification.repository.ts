import { type AccountKind, type RealNameStatus, REAL_NAME_SETTLED } from '../accounts/account.types.js';
import type { DocumentType } from '../accounts/identity-documents.js';
import type { Db } from '../db/database.js';
import type { PiiCrypto } from '../security/pii-crypto.js';

/** What automatic verification reads of an account; the document number decrypted. */
export interface NaturalIdentity {
  accountId: string;
  kind: AccountKind;
  realNameStatus: RealNameStatus;
  name: string | null;
  documentType: DocumentType | null;
  documentNumber: string | null;
  documentNumberIndex: string | null;
}

export interface DocumentClaim {
  accountId: string;
  documentType: DocumentType;
  documentNumberIndex: string;
  method: 'automatic' | 'manual';
  verifiedAt: Date;
}

/** SQL for verification: the account's identity, its real-name status and the document claims. */
export class VerificationRepository {
  constructor(
    private readonly db: Db,
    private readonly crypt: PiiCrypto,
  ) {}

  blindIndex(documentNumber: string): string {
    return this.crypt.blindIndex(documentNumber);
  }

  /** `lock` holds the account row until the transaction ends, serialising verifications of it. */
  async findIdentity(accountId: string, trx: Db = this.db, lock = false): Promise<NaturalIdentity | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(accountId)) return undefined;
    const query = trx('accounts as a')
      .leftJoin('natural_profiles as n', 'n.account_id', 'a.id')
      .where('a.id', accountId)
      .first('a.kind', 'a.real_name_status', 'n.name', 'n.document_type', 'n.document_number_encrypted', 'n.document_number_index');
    if (lock) query.forUpdate('a');
    const row = await query;
    if (!row) return undefined;
    return {
      accountId,
      kind: row.kind,
      realNameStatus: row.real_name_status,
      name: row.name ?? null,
      documentType: row.document_type ?? null,
      documentNumber: row.document_number_encrypted ? this.crypt.decrypt(row.document_number_encrypted) : null,
      documentNumberIndex: row.document_number_index ?? null,
    };
  }

  /**
   * Whether an account other than `exceptAccountId` holds this document verified: by a claim, or —
   * for accounts made verified outside this service (CLI, imports) — by its profile and status.
   */
  async documentVerified(documentType: DocumentType, documentNumberIndex: string, exceptAccountId?: string, trx: Db = this.db): Promise<boolean> {
    const claims = trx('identity_claims')
      .select(trx.raw('1'))
      .where({ document_type: documentType, document_number_index: documentNumberIndex });
    const profiles = trx('natural_profiles as n')
      .join('accounts as a', 'a.id', 'n.account_id')
      .select(trx.raw('1'))
      .where({ 'n.document_type': documentType, 'n.document_number_index': documentNumberIndex })
      .whereIn('a.real_name_status', REAL_NAME_SETTLED);
    if (exceptAccountId) {
      claims.whereNot('account_id', exceptAccountId);
      profiles.whereNot('a.id', exceptAccountId);
    }
    const row = await trx.select(trx.raw('exists (?) or exists (?) as verified', [claims, profiles])).first();
    return Boolean(row?.verified);
  }

  /**
   * Claims the document for the account, or finds who holds it: returns the holder's account id.
   * Of two concurrent claims, the primary key makes the second wait for the first and then yield.
   */
  async claimDocument(claim: DocumentClaim, trx: Db): Promise<string | undefined> {
    const inserted = await trx('identity_claims')
      .insert({
        document_type: claim.documentType,
        document_number_index: claim.documentNumberIndex,
        account_id: claim.accountId,
        method: claim.method,
        verified_at: claim.verifiedAt,
      })
      .onConflict(['document_type', 'document_number_index'])
      .ignore()
      .returning('account_id');
    if (inserted.length > 0) return claim.accountId;
    const holder = await trx('identity_claims')
      .where({ document_type: claim.documentType, document_number_index: claim.documentNumberIndex })
      .first('account_id');
    return holder?.account_id;
  }

  async markVerified(accountId: string, at: Date, trx: Db): Promise<void> {
    await trx('accounts')
      .where({ id: accountId })
      .update({ real_name_status: 'verified', real_name_verified_at: at, updated_at: trx.fn.now() });
  }
}
