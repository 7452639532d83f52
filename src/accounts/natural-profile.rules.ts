import type { MessageKey } from '../i18n/index.js';
import { DOCUMENT_TYPES_BY_IDENTITY, validateDocumentNumber, type DocumentType, type IdentityType } from './identity-documents.js';

/** The My Information form of a natural person, as submitted (strings; empty means "not given"). */
export interface NaturalProfileInput {
  name?: string;
  gender?: string;
  ethnicity?: string;
  position?: string;
  birthDate?: string;
  email?: string;
  landline?: string;
  identityType?: string;
  documentType?: string;
  documentNumber?: string;
  documentValidUntil?: string;
  documentLongTerm?: string;
  address?: string;
}

/** The same, checked and normalised; `null` clears a field. */
export interface NaturalProfileChanges {
  name: string;
  gender: 'male' | 'female' | null;
  ethnicity: string | null;
  position: string | null;
  birthDate: string | null;
  email: string | null;
  landline: string | null;
  identityType: IdentityType | null;
  documentType: DocumentType | null;
  documentNumber: string | null;
  documentValidUntil: string | null;
  documentLongTerm: boolean;
  address: string | null;
}

type Fields = Partial<Record<keyof NaturalProfileInput, MessageKey>>;

const IDENTITY_TYPES: readonly IdentityType[] = ['mainland', 'hmt', 'other'];
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function isRealDate(value: string): boolean {
  if (!DATE.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

const optional = (value: string | undefined) => (value?.trim() ? value.trim() : null);

/**
 * Field rules of the natural-person profile (SPEC §1). Returns every field's problem at once, so
 * the form shows all of them, or the normalised changes.
 */
export function checkNaturalProfile(
  input: NaturalProfileInput,
  today: Date,
): { ok: true; changes: NaturalProfileChanges } | { ok: false; fields: Fields } {
  const fields: Fields = {};
  const name = input.name?.trim() ?? '';
  if (!name) fields.name = 'account.error.name_required';
  else if ([...name].length > 50) fields.name = 'profile.error.too_long';

  const gender = optional(input.gender);
  if (gender && gender !== 'male' && gender !== 'female') fields.gender = 'profile.error.choose_option';

  const birthDate = optional(input.birthDate);
  if (birthDate && (!isRealDate(birthDate) || birthDate > today.toISOString().slice(0, 10) || birthDate < '1900-01-01')) {
    fields.birthDate = 'profile.error.birth_date';
  }

  const email = optional(input.email);
  if (email && (email.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))) fields.email = 'account.error.email_invalid';

  const landline = optional(input.landline);
  if (landline && !/^[0-9+\-() ]{7,20}$/.test(landline)) fields.landline = 'profile.error.landline';

  for (const key of ['ethnicity', 'position'] as const) {
    const value = optional(input[key]);
    if (value && [...value].length > 50) fields[key] = 'profile.error.too_long';
  }
  const address = optional(input.address);
  if (address && [...address].length > 200) fields.address = 'profile.error.too_long';

  let identityType = optional(input.identityType) as IdentityType | null;
  let documentType = optional(input.documentType) as DocumentType | null;
  let documentNumber = optional(input.documentNumber);
  if (identityType && !IDENTITY_TYPES.includes(identityType)) {
    fields.identityType = 'profile.error.choose_option';
    identityType = null;
  }
  if (documentNumber || documentType || identityType) {
    if (!identityType) fields.identityType = 'profile.error.choose_option';
    else if (!documentType || !DOCUMENT_TYPES_BY_IDENTITY[identityType].includes(documentType)) {
      fields.documentType = 'account.error.document_type_mismatch';
    } else if (!documentNumber) {
      fields.documentNumber = 'profile.error.document_number_required';
    } else {
      const checked = validateDocumentNumber(documentType, documentNumber, today);
      if (checked.ok) documentNumber = checked.normalized;
      else fields.documentNumber = `account.error.document_${checked.reason}`;
    }
  }

  const documentLongTerm = input.documentLongTerm === 'on' || input.documentLongTerm === 'true';
  const documentValidUntil = documentLongTerm ? null : optional(input.documentValidUntil);
  if (documentValidUntil && !isRealDate(documentValidUntil)) fields.documentValidUntil = 'profile.error.date';

  if (Object.keys(fields).length) return { ok: false, fields };
  return {
    ok: true,
    changes: {
      name,
      gender: gender as NaturalProfileChanges['gender'],
      ethnicity: optional(input.ethnicity),
      position: optional(input.position),
      birthDate,
      email,
      landline,
      identityType,
      documentType,
      documentNumber,
      documentValidUntil,
      documentLongTerm,
      address,
    },
  };
}
