import type { MessageKey } from '../i18n/index.js';
import type { PersonBlock } from './account.types.js';
import {
  DOCUMENT_TYPES_BY_IDENTITY,
  isValidMainlandMobile,
  normalizeMobile,
  validateDocumentNumber,
  type DocumentType,
  type IdentityType,
} from './identity-documents.js';

/** A person block (legal representative or main agent) as a form submits it. */
export interface PersonBlockInput {
  name?: string;
  mobile?: string;
  identityType?: string;
  documentType?: string;
  documentNumber?: string;
  documentValidUntil?: string;
  /** A checkbox: "on" or "true" means 长期有效. */
  documentLongTerm?: string;
}

export type PersonBlockField = keyof PersonBlockInput;
export type PersonBlockFields = Partial<Record<PersonBlockField, MessageKey>>;

export const PERSON_BLOCK_FIELDS: readonly PersonBlockField[] = [
  'name', 'mobile', 'identityType', 'documentType', 'documentNumber', 'documentValidUntil', 'documentLongTerm',
];

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function isRealDate(value: string): boolean {
  if (!DATE.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

const chinaToday = (today: Date) => new Date(today.getTime() + 8 * 60 * 60 * 1000).toISOString().slice(0, 10);

/**
 * The rules of a person block (SPEC §1, §3): checkPerson's, and a validity date not yet past, or 长期有效.
 * Returns every problem at once (keys as in PersonBlockInput), or the normalised block.
 */
export function checkPersonBlock(
  input: PersonBlockInput,
  today: Date,
): { ok: true; block: PersonBlock } | { ok: false; fields: PersonBlockFields } {
  const fields: PersonBlockFields = {};
  const person = checkPerson(input, today, fields);

  const documentLongTerm = input.documentLongTerm === 'on' || input.documentLongTerm === 'true';
  const validUntil = documentLongTerm ? null : (input.documentValidUntil?.trim() ?? '') || null;
  if (!documentLongTerm && !validUntil) fields.documentValidUntil = 'profile.error.validity_required';
  else if (validUntil && !isRealDate(validUntil)) fields.documentValidUntil = 'profile.error.date';
  else if (validUntil && validUntil < chinaToday(today)) fields.documentValidUntil = 'profile.error.document_expired';

  if (Object.keys(fields).length) return { ok: false, fields };
  return { ok: true, block: { ...person, documentValidUntil: validUntil, documentLongTerm } };
}

/** A person without the validity of their document: who they are and how to reach them. */
export type Person = Omit<PersonBlock, 'documentValidUntil' | 'documentLongTerm'>;

/**
 * Name, mobile and identity document (SPEC §1): every field required; the document type must
 * belong to the identity type and the number pass its own rule. Problems go into `fields` (keys as
 * in PersonBlockInput); the values come back normalised.
 */
export function checkPerson(
  input: Pick<PersonBlockInput, 'name' | 'mobile' | 'identityType' | 'documentType' | 'documentNumber'>,
  today: Date,
  fields: PersonBlockFields,
): Person {
  const name = input.name?.trim() ?? '';
  if (!name) fields.name = 'account.error.name_required';
  else if ([...name].length > 50) fields.name = 'profile.error.too_long';

  const mobile = normalizeMobile(input.mobile ?? '');
  if (!isValidMainlandMobile(mobile)) fields.mobile = 'account.error.mobile_invalid';

  const identityType = input.identityType?.trim() ?? '';
  const documentType = input.documentType?.trim() ?? '';
  let documentNumber = input.documentNumber?.trim() ?? '';
  const documentTypes = Object.hasOwn(DOCUMENT_TYPES_BY_IDENTITY, identityType)
    ? DOCUMENT_TYPES_BY_IDENTITY[identityType as IdentityType]
    : undefined;
  if (!documentTypes) fields.identityType = 'profile.error.choose_option';
  else if (!documentTypes.includes(documentType as DocumentType)) fields.documentType = 'account.error.document_type_mismatch';
  else if (!documentNumber) fields.documentNumber = 'profile.error.document_number_required';
  else {
    const checked = validateDocumentNumber(documentType as DocumentType, documentNumber, today);
    if (checked.ok) documentNumber = checked.normalized;
    else fields.documentNumber = `account.error.document_${checked.reason}`;
  }
  return { name, mobile, identityType: identityType as IdentityType, documentType: documentType as DocumentType, documentNumber };
}

/** `prefixFields('rep', {name: k})` → `{repName: k}`: a form holds two blocks side by side. */
export function prefixFields(prefix: string, fields: PersonBlockFields): Record<string, MessageKey> {
  return Object.fromEntries(
    Object.entries(fields).map(([field, key]) => [`${prefix}${field[0]!.toUpperCase()}${field.slice(1)}`, key!]),
  );
}
