import { readFileSync } from 'node:fs';
import {
  DOCUMENT_TYPES_BY_IDENTITY,
  FOREIGN_PERMANENT_ID_OLD_PATTERN,
  HK_MACAU_PERMIT_PATTERN,
  TAIWAN_PERMIT_PATTERN,
  isValidHmtResidencePermit,
  isValidMainlandMobile,
  isValidResidentId,
  isValidUscc,
  normalizeMobile,
  normalizeResidentId,
  normalizeUscc,
  validateDocumentNumber,
  validateUscc,
  type DocumentNumberProblem,
  type UsccValidation,
} from '../../src/accounts/identity-documents.js';

interface IdentityVectors {
  resident_id: { valid: string[]; invalid: Record<string, string>; legacy_15_digit_upgrades: Record<string, string> };
  uscc: { valid: string[]; invalid: Record<string, string> };
  mobile: { valid: string[]; invalid: string[] };
  travel_permits: { hk_macau: string; taiwan: string; foreign_permanent_resident_2023: string };
}

// Read at load time: a missing vectors file fails the whole suite instead of skipping it.
const vectors = JSON.parse(
  readFileSync(new URL('../../../shared/testdata/identity-vectors.json', import.meta.url), 'utf8'),
) as IdentityVectors;

const isResidencePermitNumber = (value: string): boolean => /^8[123]/.test(value);
const mainlandResidentIds = vectors.resident_id.valid.filter((value) => !isResidencePermitNumber(value));
const residencePermitNumbers = vectors.resident_id.valid.filter(isResidencePermitNumber);

/** Maps the vectors file's prose reason to the validator's reason; unknown prose fails the test. */
function documentProblemFor(description: string): DocumentNumberProblem {
  if (description.startsWith('check character')) return 'check_character';
  if (description.startsWith('no such date')) return 'birth_date';
  if (description.startsWith('no such province')) return 'region';
  if (description === 'length') return 'length';
  if (description === 'characters') return 'format';
  throw new Error(`identity-vectors.json: no known reason for "${description}"`);
}

function usccProblemFor(description: string): Extract<UsccValidation, { ok: false }>['reason'] {
  if (description.startsWith('check character')) return 'check_character';
  if (description.includes('not in the alphabet')) return 'characters';
  if (description === 'length') return 'length';
  throw new Error(`identity-vectors.json: no known reason for "${description}"`);
}

describe('document types by identity type', () => {
  test('when the identity type is mainland, then only the resident identity card is offered', () => {
    expect(DOCUMENT_TYPES_BY_IDENTITY.mainland).toEqual(['resident_id']);
  });

  test('when the identity type is HK/Macau/Taiwan, then the two travel permits and the residence permit are offered', () => {
    expect(DOCUMENT_TYPES_BY_IDENTITY.hmt).toEqual(['hk_macau_permit', 'taiwan_permit', 'hmt_residence_permit']);
  });

  test('when the identity type is other, then the passport and the foreign permanent resident ID are offered', () => {
    expect(DOCUMENT_TYPES_BY_IDENTITY.other).toEqual(['passport', 'foreign_permanent_id']);
  });
});

describe('GB 11643 numbers from the vectors file', () => {
  test('when the vectors file is read, then it has both mainland and residence-permit examples', () => {
    expect(mainlandResidentIds.length).toBeGreaterThan(0);
    expect(residencePermitNumbers.length).toBeGreaterThan(0);
  });

  test.each(vectors.resident_id.valid)('when the number is the valid vector %s, then isValidResidentId accepts it', (value) => {
    expect(isValidResidentId(value)).toBe(true);
  });

  test.each(vectors.resident_id.valid)('when the valid vector %s is normalized, then its check character is upper case', (value) => {
    expect(normalizeResidentId(value)).toBe(value.toUpperCase());
  });

  test.each(mainlandResidentIds)('when %s is given as a resident identity card, then it validates to its upper-case form', (value) => {
    expect(validateDocumentNumber('resident_id', value)).toEqual({ ok: true, normalized: value.toUpperCase() });
  });

  test.each(residencePermitNumbers)('when %s is given as an HMT residence permit, then it validates', (value) => {
    expect(isValidHmtResidencePermit(value)).toBe(true);
    expect(validateDocumentNumber('hmt_residence_permit', value)).toEqual({ ok: true, normalized: value });
  });

  test.each(residencePermitNumbers)('when the residence permit number %s is given as a resident identity card, then the region is refused', (value) => {
    expect(validateDocumentNumber('resident_id', value)).toEqual({ ok: false, reason: 'region' });
  });

  test.each(mainlandResidentIds)('when the mainland number %s is given as an HMT residence permit, then the region is refused', (value) => {
    expect(isValidHmtResidencePermit(value)).toBe(false);
    expect(validateDocumentNumber('hmt_residence_permit', value)).toEqual({ ok: false, reason: 'region' });
  });

  test.each(Object.entries(vectors.resident_id.invalid))(
    'when the number is the invalid vector %s (%s), then it is refused for that reason',
    (value, description) => {
      expect(isValidResidentId(value)).toBe(false);
      expect(validateDocumentNumber('resident_id', value)).toEqual({ ok: false, reason: documentProblemFor(description) });
    },
  );

  test.each(Object.entries(vectors.resident_id.legacy_15_digit_upgrades))(
    'when the 15-digit number %s is normalized, then it becomes %s',
    (legacy, upgraded) => {
      expect(normalizeResidentId(legacy)).toBe(upgraded);
    },
  );

  test.each(Object.entries(vectors.resident_id.legacy_15_digit_upgrades))(
    'when the 15-digit number %s is validated as a resident identity card, then it is accepted as %s',
    (legacy, upgraded) => {
      expect(isValidResidentId(legacy)).toBe(true);
      expect(validateDocumentNumber('resident_id', legacy)).toEqual({ ok: true, normalized: upgraded });
    },
  );
});

describe('GB 11643 rules beyond the vectors file', () => {
  const june2024 = '110105202406010013';

  test('when the birth date is after today, then the number is refused for its birth date', () => {
    expect(validateDocumentNumber('resident_id', june2024, new Date('2024-05-01T00:00:00Z'))).toEqual({
      ok: false,
      reason: 'birth_date',
    });
    expect(isValidResidentId(june2024, new Date('2024-05-01T00:00:00Z'))).toBe(false);
  });

  test('when the birth date is today in Beijing but still yesterday in UTC, then the number is accepted', () => {
    // 2024-05-31T16:30Z is 2024-06-01 00:30 in Beijing.
    expect(isValidResidentId(june2024, new Date('2024-05-31T16:30:00Z'))).toBe(true);
  });

  test('when the birth date is the day after today in Beijing, then the number is refused', () => {
    // 2024-05-31T15:30Z is 2024-05-31 23:30 in Beijing.
    expect(isValidResidentId(june2024, new Date('2024-05-31T15:30:00Z'))).toBe(false);
  });

  test('when the birth date is 29 February of a leap year, then the number is accepted', () => {
    expect(isValidResidentId('110105200002290013')).toBe(true);
  });

  test('when the birth date is 29 February 1900 (not a leap year), then it is refused for its birth date', () => {
    expect(validateDocumentNumber('resident_id', '110105190002290017')).toEqual({ ok: false, reason: 'birth_date' });
  });

  test('when the number has surrounding spaces, then they are trimmed', () => {
    expect(validateDocumentNumber('resident_id', '  440305198808081234 ')).toEqual({ ok: true, normalized: '440305198808081234' });
  });

  test('when the number starts with the Taiwan province code 71, then it passes the number rule', () => {
    expect(isValidResidentId('710000199408230028')).toBe(true);
  });

  test('when a residence permit prefix is 81 but not 810000, then it is not a residence permit', () => {
    expect(isValidHmtResidencePermit('810001199408230028')).toBe(false);
    expect(validateDocumentNumber('hmt_residence_permit', '810001199408230028')).toEqual({ ok: false, reason: 'region' });
  });

  test('when a 15-digit number is given as a residence permit, then it is refused for its length', () => {
    expect(validateDocumentNumber('hmt_residence_permit', '810000940823002')).toEqual({ ok: false, reason: 'length' });
  });
});

describe('travel permits, passports and foreign permanent resident IDs', () => {
  test('when the vectors file gives the HK/Macau permit pattern, then the module uses exactly it', () => {
    expect(HK_MACAU_PERMIT_PATTERN.source).toBe(vectors.travel_permits.hk_macau);
  });

  test('when the vectors file gives the Taiwan permit pattern, then the module uses exactly it', () => {
    expect(TAIWAN_PERMIT_PATTERN.source).toBe(vectors.travel_permits.taiwan);
  });

  test('when the vectors file gives the older foreign permanent resident ID pattern, then the module uses exactly it', () => {
    const described = vectors.travel_permits.foreign_permanent_resident_2023.match(/\^\S+\$/)?.[0];
    expect(FOREIGN_PERMANENT_ID_OLD_PATTERN.source).toBe(described);
  });

  test.each([
    ['H12345678', 'H12345678'],
    ['M1234567801', 'M1234567801'],
    [' h12345678 ', 'H12345678'],
  ])('when the HK/Macau permit number is %j, then it is accepted as %s', (value, normalized) => {
    expect(validateDocumentNumber('hk_macau_permit', value)).toEqual({ ok: true, normalized });
  });

  test.each([
    ['X12345678', 'format'],
    ['H1234567A', 'format'],
    ['H1234567', 'length'],
    ['H123456789', 'length'],
  ])('when the HK/Macau permit number is %s, then it is refused for %s', (value, reason) => {
    expect(validateDocumentNumber('hk_macau_permit', value)).toEqual({ ok: false, reason });
  });

  test.each(['12345678', '1234567890'])('when the Taiwan permit number is %s, then it is accepted', (value) => {
    expect(validateDocumentNumber('taiwan_permit', value)).toEqual({ ok: true, normalized: value });
  });

  test.each([
    ['1234567A', 'format'],
    ['T1234567', 'format'],
    ['123456789', 'length'],
  ])('when the Taiwan permit number is %s, then it is refused for %s', (value, reason) => {
    expect(validateDocumentNumber('taiwan_permit', value)).toEqual({ ok: false, reason });
  });

  test.each([
    ['E12345678', 'E12345678'],
    ['e12345678', 'E12345678'],
    ['AB123', 'AB123'],
  ])('when the passport number is %s, then it is accepted as %s', (value, normalized) => {
    expect(validateDocumentNumber('passport', value)).toEqual({ ok: true, normalized });
  });

  test.each([
    ['AB12', 'length'],
    ['A12345678901234567', 'length'],
    ['E1234-5678', 'format'],
  ])('when the passport number is %s, then it is refused for %s', (value, reason) => {
    expect(validateDocumentNumber('passport', value)).toEqual({ ok: false, reason });
  });

  test.each([
    ['931156199001010014', '931156199001010014'],
    ['usa123456789012', 'USA123456789012'],
  ])('when the foreign permanent resident ID is %s, then it is accepted as %s', (value, normalized) => {
    expect(validateDocumentNumber('foreign_permanent_id', value)).toEqual({ ok: true, normalized });
  });

  test.each([
    ['931156199001010015', 'check_character'],
    ['831156199001010014', 'format'],
    ['US1123456789012', 'format'],
    ['93115619900101001', 'length'],
  ])('when the foreign permanent resident ID is %s, then it is refused for %s', (value, reason) => {
    expect(validateDocumentNumber('foreign_permanent_id', value)).toEqual({ ok: false, reason });
  });
});

describe('unified social credit code (GB 32100-2015)', () => {
  test.each(vectors.uscc.valid)('when the code is the valid vector %s, then it is accepted', (value) => {
    expect(isValidUscc(value)).toBe(true);
    expect(validateUscc(value)).toEqual({ ok: true, normalized: value });
  });

  test.each(vectors.uscc.valid)('when the valid vector %s is typed in lower case with spaces, then it normalizes back', (value) => {
    expect(normalizeUscc(` ${value.toLowerCase()} `)).toBe(value);
    expect(validateUscc(` ${value.toLowerCase()} `)).toEqual({ ok: true, normalized: value });
  });

  test.each(Object.entries(vectors.uscc.invalid))('when the code is the invalid vector %s (%s), then it is refused for that reason', (value, description) => {
    expect(isValidUscc(value)).toBe(false);
    expect(validateUscc(value)).toEqual({ ok: false, reason: usccProblemFor(description) });
  });

  test('when the weighted sum is a multiple of 31, then the check character is 0, not out of the alphabet', () => {
    expect(validateUscc('91110108MA01000010')).toEqual({ ok: true, normalized: '91110108MA01000010' });
  });

  const correctable = Object.entries(vectors.uscc.invalid).flatMap(([value, description]) => {
    const expected = /should be (\S)\)/.exec(description)?.[1];
    return expected === undefined ? [] : [[value, expected] as const];
  });

  test('when the vectors file names correct check characters, then there is at least one such vector', () => {
    expect(correctable.length).toBeGreaterThan(0);
  });

  test.each(correctable)('when the check character of %s is replaced by %s, then the code is accepted', (value, expected) => {
    expect(isValidUscc(value.slice(0, 17) + expected)).toBe(true);
  });
});

describe('mainland mobile numbers', () => {
  test.each(vectors.mobile.valid)('when the mobile is the valid vector %j, then it is accepted', (value) => {
    expect(isValidMainlandMobile(value)).toBe(true);
  });

  test.each(vectors.mobile.valid)('when the valid vector %j is normalized, then 11 bare digits remain', (value) => {
    const normalized = normalizeMobile(value);
    expect(normalized).toMatch(/^1\d{10}$/);
    expect(normalizeMobile(normalized)).toBe(normalized);
  });

  test.each(vectors.mobile.invalid)('when the mobile is the invalid vector %s, then it is refused', (value) => {
    expect(isValidMainlandMobile(value)).toBe(false);
  });

  test.each([
    ['+86 138 1234 5678', '13812345678'],
    ['0086-138-1234-5678', '13812345678'],
    ['+8613812345678', '13812345678'],
    ['138 1234 5678', '13812345678'],
  ])('when the mobile is written %j, then it normalizes to %s', (value, normalized) => {
    expect(normalizeMobile(value)).toBe(normalized);
  });

  test('when the country prefix is 86 without + or 00, then it is not stripped and the number is refused', () => {
    expect(isValidMainlandMobile('8613812345678')).toBe(false);
  });
});
