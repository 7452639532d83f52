import type { DocumentType, IdentityType } from './identity-documents.js';

export type AccountKind = 'natural' | 'legal';
export type AccountStatus = 'active' | 'locked' | 'disabled';
export type RealNameStatus = 'unverified' | 'pending_review' | 'rejected' | 'verified' | 'reviewed';

/** The real-name statuses that count as verified (SPEC §4): by the authority, or by manual review. */
export const REAL_NAME_SETTLED: readonly RealNameStatus[] = ['verified', 'reviewed'];
export const isRealNameSettled = (status: RealNameStatus): boolean => REAL_NAME_SETTLED.includes(status);
export type RegistrationRegion = 'domestic' | 'hmt' | 'foreign';
export type OrgType = 'enterprise' | 'social_organization' | 'public_institution' | 'other';

export interface NaturalProfile {
  name: string;
  gender: string | null;
  ethnicity: string | null;
  position: string | null;
  birthDate: string | null;
  landline: string | null;
  identityType: IdentityType | null;
  documentType: DocumentType | null;
  /** Masked for display; the clear number is only decrypted where a rule needs it. */
  documentNumberMasked: string | null;
  documentValidUntil: string | null;
  documentLongTerm: boolean;
  address: string | null;
}

/**
 * A person named in a unit's profile: its legal representative (法定代表人) or main agent (主代办人).
 * The document number and mobile are clear here; they are stored encrypted.
 */
export interface PersonBlock {
  name: string;
  mobile: string;
  identityType: IdentityType;
  documentType: DocumentType;
  /** Normalised (validateDocumentNumber's form). */
  documentNumber: string;
  documentValidUntil: string | null;
  documentLongTerm: boolean;
}

/** A person block as shown on a page: document number and mobile masked. */
export type MaskedPersonBlock = Omit<PersonBlock, 'documentNumber' | 'mobile'> & {
  documentNumberMasked: string;
  mobileMasked: string;
};

export interface LegalProfile {
  orgName: string;
  registrationRegion: RegistrationRegion;
  orgType: OrgType;
  /** Domestic units; HMT and foreign units have a registrationNumber instead. */
  uscc: string | null;
  registrationNumber: string | null;
  legalRepresentative: MaskedPersonBlock | null;
  /** The main agent's mobile is the account's reserved mobile. */
  mainAgent: MaskedPersonBlock | null;
}

export interface Account {
  id: string;
  kind: AccountKind;
  loginName: string;
  mobile: string;
  mobileVerified: boolean;
  email: string | null;
  emailVerified: boolean;
  status: AccountStatus;
  realNameStatus: RealNameStatus;
  realNameVerifiedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  natural: NaturalProfile | null;
  legal: LegalProfile | null;
}

/** The part of an account its OIDC claims are made of (src/oidc/claims.ts), and its status. */
export type ClaimsAccount = Pick<
  Account,
  'id' | 'kind' | 'loginName' | 'status' | 'mobile' | 'mobileVerified' | 'email' | 'emailVerified' | 'realNameStatus' | 'realNameVerifiedAt'
> & {
  natural: Pick<NaturalProfile, 'name'> | null;
  legal: Pick<LegalProfile, 'orgName' | 'registrationRegion' | 'orgType' | 'uscc' | 'registrationNumber'> | null;
};

/** What login needs: no profile, but the password hash. */
export interface Credentials {
  id: string;
  kind: AccountKind;
  loginName: string;
  passwordHash: string | null;
  status: AccountStatus;
}
