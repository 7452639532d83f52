/**
 * The identity-authority port (SPEC §4): does this name belong to this identity document?
 * Adapters answer only 'match' or 'mismatch' when the authority gave that verdict; everything
 * else — down, slow, refusing us, answering nonsense — is IdentityAuthorityUnavailable, so an
 * outage can never be mistaken for a verdict about the person.
 */
import type { DocumentType } from '../accounts/identity-documents.js';

export interface IdentityQuery {
  name: string;
  documentType: DocumentType;
  /** Normalised (validateDocumentNumber's form). */
  documentNumber: string;
}

export type IdentityVerdict = 'match' | 'mismatch';

export interface IdentityAuthority {
  checkPerson(query: IdentityQuery): Promise<IdentityVerdict>;
}

/** Why no verdict came back; for logs and the audit trail, never shown to users. */
export type UnavailableReason = 'timeout' | 'network' | 'status' | 'malformed';

export class IdentityAuthorityUnavailable extends Error {
  constructor(
    readonly reason: UnavailableReason,
    detail: string,
  ) {
    super(`identity authority unavailable (${reason}): ${detail}`);
    this.name = 'IdentityAuthorityUnavailable';
  }
}
