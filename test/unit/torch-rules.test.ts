import { parseLegacyRecord, type LegacyRecord } from '../../src/migration/torch/legacy-record.js';
import { decide, type NameHolder, type PlatformView } from '../../src/migration/torch/torch.rules.js';

const U = '91350100M000100Y43';
const P = '13900001111';
const index = (mobile: string) => `idx:${mobile}`;

function record(fields: Record<string, string>): LegacyRecord {
  const parsed = parseLegacyRecord({ legacy_id: 'L1', password_scheme: 'md5', password_hash: 'a'.repeat(32), mobile: '13800000000', ...fields }, 1);
  if (!parsed.ok) throw new Error(parsed.malformed.reason);
  return parsed.record;
}

function view(options: { holders?: Record<string, Partial<NameHolder>>; legal?: string[]; verified?: string[] } = {}): PlatformView {
  return {
    holder: (key) => {
      const holder = options.holders?.[key];
      return holder ? { accountId: `acc-${key}`, kind: 'natural', loginName: key, uscc: null, mobileIndex: 'other', ...holder } : undefined;
    },
    legalAccountOf: (uscc) => (options.legal?.includes(uscc) ? { accountId: 'entity', loginName: 'entity_login' } : undefined),
    verifiedNaturalByMobile: (i) => (options.verified?.includes(i) ? { accountId: 'verified', loginName: 'verified_login' } : undefined),
  };
}

const enterprise = record({ kind: 'enterprise', login_name: U.toLowerCase(), org_name: '单位', contact_name: '联系人' });
const person = record({ kind: 'personal', login_name: P, name: '王五' });
const u = U.toLowerCase();

describe('Torch decision rules (SPEC §8)', () => {
  test('when the USCC is the login name of its own legal account, then E2 wins over E4', () => {
    const decision = decide(enterprise, view({ holders: { [u]: { kind: 'legal', uscc: U } }, legal: [U] }), index);
    expect(decision).toMatchObject({ case: 'E2', linkedAccountId: `acc-${u}`, window: 'legal' });
  });

  test('when the unit has a legal account under another name, then E4 wins over E3, taking HJ_u when u is taken', () => {
    expect(decide(enterprise, view({ legal: [U] }), index)).toMatchObject({ case: 'E4', loginName: U, grantor: 'entity', name: '联系人' });
    expect(decide(enterprise, view({ holders: { [u]: {} }, legal: [U] }), index)).toMatchObject({ case: 'E4', loginName: `HJ_${U}` });
    expect(decide(enterprise, view({ holders: { [u]: {}, [`hj_${u}`]: {} }, legal: [U] }), index)).toEqual({ case: 'conflict', reason: 'hj_name_taken' });
  });

  test('when u is taken by another entity or a person, then E3; otherwise E1; a bad check character is a conflict', () => {
    expect(decide(enterprise, view({ holders: { [u]: { kind: 'legal', uscc: 'OTHER' } } }), index)).toMatchObject({ case: 'E3', loginName: `HJ_${U}` });
    expect(decide(enterprise, view(), index)).toMatchObject({ case: 'E1', loginName: U, create: 'legal' });
    const bad = record({ kind: 'enterprise', login_name: U.slice(0, 17) + '0', org_name: '单位' });
    expect(decide(bad, view(), index)).toEqual({ case: 'conflict', reason: 'uscc_check_character' });
  });

  test('when a person is decided, then P2, P3, P4 and P1 in that order', () => {
    expect(decide(person, view({ holders: { [P]: { mobileIndex: index(P) } }, verified: [index(P)] }), index)).toMatchObject({ case: 'P2' });
    expect(decide(person, view({ holders: { [P]: { kind: 'legal' } }, verified: [index(P)] }), index)).toMatchObject({ case: 'P3', loginName: `HJ_${P}` });
    expect(decide(person, view({ verified: [index(P)] }), index)).toMatchObject({ case: 'P4', loginName: 'verified_login' });
    expect(decide(person, view(), index)).toMatchObject({ case: 'P1', loginName: P, name: '王五' });
  });

  test('when a record is malformed, then the reason is named and what could be read is kept', () => {
    expect(parseLegacyRecord({ legacy_id: 'X', kind: 'firm', login_name: U }, 7)).toEqual({
      ok: false, malformed: { line: 7, reason: 'unknown_kind', legacyId: 'X', kind: null, login: U },
    });
    expect(parseLegacyRecord({ legacy_id: 'X', kind: 'personal', login_name: P, name: 'n', password_scheme: 'pbkdf2_sha256', password_hash: 'ab'.repeat(32), password_salt: 's' }, 2))
      .toMatchObject({ ok: false, malformed: { reason: 'password_iterations' } });
    expect(parseLegacyRecord([], 3)).toMatchObject({ ok: false, malformed: { reason: 'not_an_object' } });
  });
});
