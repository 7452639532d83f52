import crypto from 'node:crypto';
import bcrypt from 'bcryptjs';
import { parseLegacyPassword, verifyLegacyPassword, type LegacyPassword } from '../../src/migration/torch/legacy-password.js';

const PASSWORD = 'Torch-Old-2019';
const hex = (algorithm: string, text: string) => crypto.createHash(algorithm).update(text, 'utf8').digest('hex');

/** Each scheme's hash of PASSWORD, made independently of the code under test. */
const vectors: Array<[string, Record<string, string | number>]> = [
  ['md5', { scheme: 'md5', hash: hex('md5', PASSWORD) }],
  ['md5 upper-case hex', { scheme: 'md5', hash: hex('md5', PASSWORD).toUpperCase() }],
  ['md5_salt_prefix', { scheme: 'md5_salt_prefix', salt: 'x9Y', hash: hex('md5', `x9Y${PASSWORD}`) }],
  ['md5_salt_suffix', { scheme: 'md5_salt_suffix', salt: 'x9Y', hash: hex('md5', `${PASSWORD}x9Y`) }],
  ['sha1', { scheme: 'sha1', hash: hex('sha1', PASSWORD) }],
  ['sha256', { scheme: 'sha256', hash: hex('sha256', PASSWORD) }],
  ['sha256_salt_prefix', { scheme: 'sha256_salt_prefix', salt: '盐salt', hash: hex('sha256', `盐salt${PASSWORD}`) }],
  ['sha256_salt_suffix', { scheme: 'sha256_salt_suffix', salt: '盐salt', hash: hex('sha256', `${PASSWORD}盐salt`) }],
  ['sm3', { scheme: 'sm3', hash: hex('sm3', PASSWORD) }],
  ['pbkdf2_sha256', { scheme: 'pbkdf2_sha256', salt: 'pepper', iterations: 1000, hash: crypto.pbkdf2Sync(PASSWORD, 'pepper', 1000, 32, 'sha256').toString('hex') }],
  ['bcrypt $2b$', { scheme: 'bcrypt', hash: bcrypt.hashSync(PASSWORD, 4) }],
  ['bcrypt $2a$', { scheme: 'bcrypt', hash: bcrypt.hashSync(PASSWORD, 4).replace(/^\$2b\$/, '$2a$') }],
  ['bcrypt $2y$', { scheme: 'bcrypt', hash: bcrypt.hashSync(PASSWORD, 4).replace(/^\$2b\$/, '$2y$') }],
];

describe('legacy password schemes', () => {
  test.each(vectors)('when a %s hash is verified, then the right password matches and a wrong one does not', async (_name, record) => {
    const parsed = parseLegacyPassword(record as never);
    expect(parsed.ok).toBe(true);
    const stored = (parsed as { password: LegacyPassword }).password;
    expect(await verifyLegacyPassword(stored, PASSWORD)).toBe(true);
    expect(await verifyLegacyPassword(stored, `${PASSWORD}x`)).toBe(false);
    expect(await verifyLegacyPassword(stored, PASSWORD.toLowerCase())).toBe(false);
  });

  test.each([
    ['an unknown scheme', { scheme: 'crc32', hash: 'abcd' }, 'scheme'],
    ['md5 of the wrong length', { scheme: 'md5', hash: 'abc' }, 'hash'],
    ['sha1 with a non-hex character', { scheme: 'sha1', hash: `${hex('sha1', 'a').slice(0, 39)}g` }, 'hash'],
    ['a salted scheme without its salt', { scheme: 'md5_salt_prefix', hash: hex('md5', 'a') }, 'salt'],
    ['pbkdf2 without iterations', { scheme: 'pbkdf2_sha256', salt: 's', hash: 'ab'.repeat(32) }, 'iterations'],
    ['pbkdf2 with absurd iterations', { scheme: 'pbkdf2_sha256', salt: 's', iterations: 50_000_000, hash: 'ab'.repeat(32) }, 'iterations'],
    ['a malformed bcrypt string', { scheme: 'bcrypt', hash: '$2x$10$abc' }, 'hash'],
  ])('when a record has %s, then it is refused with its reason', (_name, record, problem) => {
    expect(parseLegacyPassword(record as never)).toEqual({ ok: false, problem });
  });
});
