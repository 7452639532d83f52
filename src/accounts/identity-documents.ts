/**
 * Format rules for identity documents, unified social credit codes and mobile numbers (SPEC §1).
 * Pure functions with no I/O, so forms, the legacy import and tests all apply the same rules.
 */

export type IdentityType = 'mainland' | 'hmt' | 'other';

export type DocumentType =
  | 'resident_id'
  | 'hk_macau_permit'
  | 'taiwan_permit'
  | 'hmt_residence_permit'
  | 'passport'
  | 'foreign_permanent_id';

export const DOCUMENT_TYPES_BY_IDENTITY: Record<IdentityType, readonly DocumentType[]> = {
  mainland: ['resident_id'],
  hmt: ['hk_macau_permit', 'taiwan_permit', 'hmt_residence_permit'],
  other: ['passport', 'foreign_permanent_id'],
};

export type DocumentNumberProblem = 'format' | 'check_character' | 'birth_date' | 'region' | 'length';

export type DocumentNumberValidation =
  | { ok: true; normalized: string }
  | { ok: false; reason: DocumentNumberProblem };

// ---------------------------------------------------------------------------------------------
// GB 11643-1999 citizen identity numbers (resident identity cards and HMT residence permits)

const GB11643_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const GB11643_CHECK_CHARACTERS = '10X98765432';

// GB/T 2260 province-level codes. 71 is Taiwan; 81, 82 and 83 appear only on the residence
// permits of Hong Kong, Macau and Taiwan residents (prefixes 810000, 820000, 830000).
const PROVINCE_CODES = new Set([
  '11', '12', '13', '14', '15',
  '21', '22', '23',
  '31', '32', '33', '34', '35', '36', '37',
  '41', '42', '43', '44', '45', '46',
  '50', '51', '52', '53', '54',
  '61', '62', '63', '64', '65',
  '71',
  '81', '82', '83',
]);
const RESIDENCE_PERMIT_PROVINCE_CODES = new Set(['81', '82', '83']);
const RESIDENCE_PERMIT_PREFIXES = new Set(['810000', '820000', '830000']);

// Birth dates are calendar days in China; "in the future" is judged by Beijing's date (UTC+8,
// no daylight saving), not by the server's time zone.
const CHINA_UTC_OFFSET_MS = 8 * 60 * 60 * 1000;

/** ISO 7064 MOD 11-2 check character over the first 17 digits. */
function gb11643CheckCharacter(number: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(number[i]) * GB11643_WEIGHTS[i];
  return GB11643_CHECK_CHARACTERS[sum % 11];
}

/** True when `yyyymmdd` names a real calendar day that is not after today in China. */
function isRealPastDate(yyyymmdd: string, now: Date): boolean {
  const year = Number(yyyymmdd.slice(0, 4));
  const month = Number(yyyymmdd.slice(4, 6));
  const day = Number(yyyymmdd.slice(6, 8));
  const date = new Date(Date.UTC(year, month - 1, day));
  // Date.UTC rolls 30 February over into March; a real date survives the round trip unchanged.
  const isReal = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  const todayInChina = new Date(now.getTime() + CHINA_UTC_OFFSET_MS).toISOString().slice(0, 10).replaceAll('-', '');
  return isReal && yyyymmdd <= todayInChina;
}

/**
 * The first failing GB 11643 rule, or null. The check character is tested last so that the
 * reason names the most specific mistake: a wrong date or region usually breaks the check too.
 */
function gb11643Problem(number: string, regionFits: (number: string) => boolean, now: Date): DocumentNumberProblem | null {
  if (number.length !== 18) return 'length';
  if (!/^\d{17}[\dX]$/.test(number)) return 'format';
  if (!regionFits(number)) return 'region';
  if (!isRealPastDate(number.slice(6, 14), now)) return 'birth_date';
  if (gb11643CheckCharacter(number) !== number[17]) return 'check_character';
  return null;
}

const hasProvinceCode = (number: string): boolean => PROVINCE_CODES.has(number.slice(0, 2));
const hasResidencePermitPrefix = (number: string): boolean => RESIDENCE_PERMIT_PREFIXES.has(number.slice(0, 6));
// A resident identity card never carries 81/82/83: those numbers exist only on residence permits.
const hasResidentCardProvinceCode = (number: string): boolean =>
  hasProvinceCode(number) && !RESIDENCE_PERMIT_PROVINCE_CODES.has(number.slice(0, 2));

/**
 * Trims, upper-cases the check character and upgrades a first-generation 15-digit number to 18
 * digits. Those numbers omit the century and the check character, and every holder was born in
 * the 1900s, so the upgrade names the same person — and gives the same blind index.
 */
export function normalizeResidentId(value: string): string {
  const number = value.trim().toUpperCase();
  if (!/^\d{15}$/.test(number)) return number;
  const first17 = `${number.slice(0, 6)}19${number.slice(6)}`;
  return first17 + gb11643CheckCharacter(first17);
}

/**
 * A valid GB 11643-1999 number: the family shared by resident identity cards and HMT residence
 * permits. Use `validateDocumentNumber` to also check that the number fits a document type.
 */
export function isValidResidentId(value: string, now: Date = new Date()): boolean {
  return gb11643Problem(normalizeResidentId(value), hasProvinceCode, now) === null;
}

export function isValidHmtResidencePermit(value: string, now: Date = new Date()): boolean {
  return gb11643Problem(value.trim().toUpperCase(), hasResidencePermitPrefix, now) === null;
}

// ---------------------------------------------------------------------------------------------
// Other document numbers

export const HK_MACAU_PERMIT_PATTERN = /^[HM]\d{8}(\d{2})?$/;
export const TAIWAN_PERMIT_PATTERN = /^\d{8}(\d{2})?$/;
export const PASSPORT_PATTERN = /^[A-Z0-9]{5,17}$/;
/** Foreign permanent resident ID cards issued before 2023. */
export const FOREIGN_PERMANENT_ID_OLD_PATTERN = /^[A-Z]{3}\d{12}$/;

function byPattern(number: string, pattern: RegExp, lengthFits: boolean): DocumentNumberValidation {
  if (!lengthFits) return { ok: false, reason: 'length' };
  if (!pattern.test(number)) return { ok: false, reason: 'format' };
  return { ok: true, normalized: number };
}

function byGb11643(number: string, regionFits: (number: string) => boolean, now: Date): DocumentNumberValidation {
  const problem = gb11643Problem(number, regionFits, now);
  return problem === null ? { ok: true, normalized: number } : { ok: false, reason: problem };
}

/** Cards issued since 2023 have 18 characters, start with 9 and use the GB 11643 check character. */
function validateForeignPermanentId(number: string): DocumentNumberValidation {
  if (number.length === 15) return byPattern(number, FOREIGN_PERMANENT_ID_OLD_PATTERN, true);
  if (number.length !== 18) return { ok: false, reason: 'length' };
  if (!/^9\d{16}[\dX]$/.test(number)) return { ok: false, reason: 'format' };
  if (gb11643CheckCharacter(number) !== number[17]) return { ok: false, reason: 'check_character' };
  return { ok: true, normalized: number };
}

/** Validates a document number by its type's own rule and returns the form to store. */
export function validateDocumentNumber(
  type: DocumentType,
  value: string,
  now: Date = new Date(),
): DocumentNumberValidation {
  const number = value.trim().toUpperCase();
  switch (type) {
    case 'resident_id':
      return byGb11643(normalizeResidentId(number), hasResidentCardProvinceCode, now);
    case 'hmt_residence_permit':
      return byGb11643(number, hasResidencePermitPrefix, now);
    case 'hk_macau_permit':
      return byPattern(number, HK_MACAU_PERMIT_PATTERN, number.length === 9 || number.length === 11);
    case 'taiwan_permit':
      return byPattern(number, TAIWAN_PERMIT_PATTERN, number.length === 8 || number.length === 10);
    case 'passport':
      return byPattern(number, PASSPORT_PATTERN, number.length >= 5 && number.length <= 17);
    case 'foreign_permanent_id':
      return validateForeignPermanentId(number);
  }
}

// ---------------------------------------------------------------------------------------------
// GB 32100-2015 unified social credit code (USCC)

// The code's alphabet leaves out I, O, Z, S and V, which are easily confused with digits.
const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

export type UsccValidation =
  | { ok: true; normalized: string }
  | { ok: false; reason: 'length' | 'characters' | 'check_character' };

export function normalizeUscc(value: string): string {
  return value.trim().toUpperCase();
}

export function validateUscc(value: string): UsccValidation {
  const code = normalizeUscc(value);
  if (code.length !== 18) return { ok: false, reason: 'length' };
  const digits = [...code].map((character) => USCC_ALPHABET.indexOf(character));
  if (digits.includes(-1)) return { ok: false, reason: 'characters' };
  if (code[17] !== usccCheckCharacter(code)) return { ok: false, reason: 'check_character' };
  return { ok: true, normalized: code };
}

/** The check character (GB 32100) of a USCC's first 17 characters, all in the USCC alphabet. */
export function usccCheckCharacter(code: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += USCC_ALPHABET.indexOf(code[i]!) * USCC_WEIGHTS[i]!;
  return USCC_ALPHABET[(31 - (sum % 31)) % 31]!;
}

export function isValidUscc(value: string): boolean {
  return validateUscc(value).ok;
}

// ---------------------------------------------------------------------------------------------
// Mainland mobile numbers

const MAINLAND_MOBILE_PATTERN = /^1[3-9]\d{9}$/;

/** Drops spaces, hyphens and a +86 / 0086 country prefix: people paste numbers in all these forms. */
export function normalizeMobile(value: string): string {
  return value.replace(/[\s-]/g, '').replace(/^(\+86|0086)/, '');
}

export function isValidMainlandMobile(value: string): boolean {
  return MAINLAND_MOBILE_PATTERN.test(normalizeMobile(value));
}
