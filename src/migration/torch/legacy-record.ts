/**
 * One legacy account of the Torch Center export (SPEC §8), checked field by field. Pure: the
 * decision rules (torch.rules.ts) see only records that passed; every other one is a reason.
 */
import { isValidMainlandMobile, normalizeMobile, normalizeUscc } from '../../accounts/identity-documents.js';
import { parseLegacyPassword, type LegacyPassword } from './legacy-password.js';

/** The export's columns (CSV header) or keys (JSON Lines). */
export const LEGACY_FIELDS = [
  'legacy_id',
  'kind',
  'login_name',
  'password_scheme',
  'password_hash',
  'password_salt',
  'pbkdf2_iterations',
  'org_name',
  'name',
  'mobile',
  'email',
  'contact_name',
] as const;

export type LegacyKind = 'enterprise' | 'personal';

export interface LegacyRecord {
  line: number;
  legacyId: string;
  kind: LegacyKind;
  /** Enterprise: the USCC, upper case (its check character is the rules' concern). Personal: the mobile. */
  login: string;
  password: LegacyPassword;
  orgName: string | null;
  name: string | null;
  contactName: string | null;
  /** The reserved mobile of an account made for it; null when the record has none. */
  mobile: string | null;
  email: string | null;
}

/**
 * Why a record cannot be placed. Malformed records carry what could be read of them, so that one
 * with a legacy id still gets its conflict outcome.
 */
export type MalformedReason =
  | 'bad_json'
  | 'not_an_object'
  | 'missing_legacy_id'
  | 'unknown_kind'
  | 'missing_login_name'
  | 'bad_mobile'
  | 'bad_email'
  | 'missing_org_name'
  | 'missing_name'
  | 'password_scheme'
  | 'password_hash'
  | 'password_salt'
  | 'password_iterations';

export interface MalformedRecord {
  line: number;
  reason: MalformedReason;
  legacyId: string | null;
  kind: LegacyKind | null;
  login: string | null;
}

const MAX_FIELD_LENGTH = 256;

function text(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const trimmed = String(value).trim();
  return trimmed === '' ? null : trimmed.slice(0, MAX_FIELD_LENGTH);
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Checks one raw record (a parsed JSON object or a CSV row keyed by header). */
export function parseLegacyRecord(raw: unknown, line: number): { ok: true; record: LegacyRecord } | { ok: false; malformed: MalformedRecord } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, malformed: { line, reason: 'not_an_object', legacyId: null, kind: null, login: null } };
  }
  const fields = raw as Record<string, unknown>;
  const legacyId = text(fields.legacy_id);
  const kindText = text(fields.kind);
  const kind: LegacyKind | null = kindText === 'enterprise' || kindText === 'personal' ? kindText : null;
  const loginText = text(fields.login_name);
  const login = loginText === null ? null : kind === 'personal' ? normalizeMobile(loginText) : normalizeUscc(loginText);
  const fail = (reason: MalformedReason) => ({ ok: false as const, malformed: { line, reason, legacyId, kind, login } });

  if (legacyId === null) return fail('missing_legacy_id');
  if (kind === null) return fail('unknown_kind');
  if (login === null) return fail('missing_login_name');
  if (kind === 'personal' && !isValidMainlandMobile(login)) return fail('bad_mobile');

  const mobileText = text(fields.mobile);
  const mobile = mobileText === null ? null : normalizeMobile(mobileText);
  if (mobile !== null && !isValidMainlandMobile(mobile)) return fail('bad_mobile');
  const email = text(fields.email);
  if (email !== null && !EMAIL.test(email)) return fail('bad_email');
  const orgName = text(fields.org_name);
  const name = text(fields.name);
  const contactName = text(fields.contact_name);
  if (kind === 'enterprise' && orgName === null) return fail('missing_org_name');
  if (kind === 'personal' && name === null && contactName === null) return fail('missing_name');

  const password = parseLegacyPassword({
    scheme: text(fields.password_scheme) ?? undefined,
    hash: text(fields.password_hash) ?? undefined,
    salt: fields.password_salt === undefined || fields.password_salt === null ? null : String(fields.password_salt),
    iterations: text(fields.pbkdf2_iterations),
  });
  if (!password.ok) return fail(`password_${password.problem}`);

  return {
    ok: true,
    record: {
      line,
      legacyId,
      kind,
      login,
      password: password.password,
      orgName,
      name,
      contactName,
      // A person's login name is their mobile: the account made for them reserves it (SPEC §8: "reserved mobile p").
      mobile: kind === 'personal' ? login : mobile,
      email,
    },
  };
}
