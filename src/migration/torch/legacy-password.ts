/**
 * The Torch Center's password hashes (SPEC §8), as the legacy export tags them: checked on import,
 * verified at a migrated account's first sign-in (then replaced by argon2id). Pure functions, no I/O.
 *
 * Hex digests are accepted in either case. Salted schemes concatenate salt and password as UTF-8
 * text, salt first (`_salt_prefix`) or last (`_salt_suffix`). pbkdf2_sha256 is PBKDF2-HMAC-SHA256
 * with the salt as UTF-8 text, the digest's length in bytes taken from the hash. bcrypt is the
 * modular-crypt string ($2a$, $2b$ or $2y$: the same algorithm for passwords without a high bit).
 */
import crypto from 'node:crypto';
import { promisify } from 'node:util';

export const LEGACY_SCHEMES = [
  'md5',
  'md5_salt_prefix',
  'md5_salt_suffix',
  'sha1',
  'sha256',
  'sha256_salt_prefix',
  'sha256_salt_suffix',
  'bcrypt',
  'pbkdf2_sha256',
  'sm3',
] as const;
export type LegacyScheme = (typeof LEGACY_SCHEMES)[number];

export interface LegacyPassword {
  scheme: LegacyScheme;
  /** Hex digests lower-cased; bcrypt as given. */
  hash: string;
  salt: string | null;
  iterations: number | null;
}

export type LegacyPasswordProblem = 'scheme' | 'hash' | 'salt' | 'iterations';

type DigestScheme = Exclude<LegacyScheme, 'bcrypt' | 'pbkdf2_sha256'>;
type DigestAlgorithm = 'md5' | 'sha1' | 'sha256' | 'sm3';
/** Each plain-digest scheme: its hash, and where the salt goes (salt + password, or password + salt). */
const DIGEST_SCHEMES: Record<DigestScheme, { algorithm: DigestAlgorithm; salt?: 'prefix' | 'suffix' }> = {
  md5: { algorithm: 'md5' },
  md5_salt_prefix: { algorithm: 'md5', salt: 'prefix' },
  md5_salt_suffix: { algorithm: 'md5', salt: 'suffix' },
  sha1: { algorithm: 'sha1' },
  sha256: { algorithm: 'sha256' },
  sha256_salt_prefix: { algorithm: 'sha256', salt: 'prefix' },
  sha256_salt_suffix: { algorithm: 'sha256', salt: 'suffix' },
  sm3: { algorithm: 'sm3' },
};
const HEX_LENGTH: Record<DigestAlgorithm, number> = { md5: 32, sha1: 40, sha256: 64, sm3: 64 };
const isSalted = (scheme: LegacyScheme) => scheme === 'pbkdf2_sha256' || (scheme !== 'bcrypt' && DIGEST_SCHEMES[scheme].salt !== undefined);
const BCRYPT = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;
/** Beyond this a single sign-in would spend seconds of CPU: such a record is refused on import. */
const MAX_PBKDF2_ITERATIONS = 1_000_000;

/** Checks an exported record's password fields; every problem is a reason for the import report. */
export function parseLegacyPassword(input: {
  scheme?: string;
  hash?: string;
  salt?: string | null;
  iterations?: string | number | null;
}): { ok: true; password: LegacyPassword } | { ok: false; problem: LegacyPasswordProblem } {
  const scheme = (input.scheme ?? '').trim() as LegacyScheme;
  if (!LEGACY_SCHEMES.includes(scheme)) return { ok: false, problem: 'scheme' };
  const raw = (input.hash ?? '').trim();
  const salt = input.salt === undefined || input.salt === null || input.salt === '' ? null : String(input.salt);
  if (isSalted(scheme) && salt === null) return { ok: false, problem: 'salt' };

  if (scheme === 'bcrypt') {
    return BCRYPT.test(raw) ? { ok: true, password: { scheme, hash: raw, salt: null, iterations: null } } : { ok: false, problem: 'hash' };
  }
  if (scheme === 'pbkdf2_sha256') {
    const iterations = Number(input.iterations);
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) return { ok: false, problem: 'iterations' };
    if (!/^([0-9a-fA-F]{2}){16,64}$/.test(raw)) return { ok: false, problem: 'hash' };
    return { ok: true, password: { scheme, hash: raw.toLowerCase(), salt, iterations } };
  }
  if (raw.length !== HEX_LENGTH[DIGEST_SCHEMES[scheme].algorithm] || !/^[0-9a-fA-F]+$/.test(raw)) return { ok: false, problem: 'hash' };
  return { ok: true, password: { scheme, hash: raw.toLowerCase(), salt: isSalted(scheme) ? salt : null, iterations: null } };
}

const pbkdf2 = promisify(crypto.pbkdf2);

/** The candidate's digest under the legacy scheme (not for bcrypt). */
async function candidateDigest(stored: LegacyPassword, password: string): Promise<Buffer> {
  const salt = stored.salt ?? '';
  if (stored.scheme === 'bcrypt') throw new Error('bcrypt has no plain digest');
  if (stored.scheme === 'pbkdf2_sha256') return pbkdf2(password, salt, stored.iterations ?? 1, stored.hash.length / 2, 'sha256');
  const scheme = DIGEST_SCHEMES[stored.scheme];
  const text = scheme.salt === 'prefix' ? salt + password : scheme.salt === 'suffix' ? password + salt : password;
  return crypto.createHash(scheme.algorithm).update(text, 'utf8').digest();
}

/** Whether `password` is the one the legacy hash was made from. Digest comparisons are constant-time. */
export async function verifyLegacyPassword(stored: LegacyPassword, password: string): Promise<boolean> {
  if (stored.scheme === 'bcrypt') {
    // $2y$ (PHP's name) is the $2b$ algorithm; bcryptjs compares in constant time. Loaded at the
    // first bcrypt sign-in: most servers never see one.
    const { default: bcrypt } = await import('bcryptjs');
    return bcrypt.compare(password, stored.hash.replace(/^\$2y\$/, '$2b$'));
  }
  const expected = Buffer.from(stored.hash, 'hex');
  const actual = await candidateDigest(stored, password);
  return expected.length === actual.length && crypto.timingSafeEqual(expected, actual);
}
