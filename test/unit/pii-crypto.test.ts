import { createHash, randomBytes } from 'node:crypto';
import { PiiCrypto, maskDocumentNumber, maskMobile, maskName, parsePiiKey } from '../../src/security/pii-crypto.js';

const key = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
const pii = new PiiCrypto(key);
const documentNumber = '11010519491231002X';

/** Flips one bit of the given part (1 = IV, 2 = ciphertext, 3 = tag) and re-encodes it canonically. */
function flipBit(token: string, part: 1 | 2 | 3): string {
  const parts = token.split('.');
  const bytes = Buffer.from(parts[part], 'base64url');
  bytes[0] ^= 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

describe('PiiCrypto encryption', () => {
  test('when a value is encrypted and decrypted, then the same value comes back', () => {
    expect(pii.decrypt(pii.encrypt(documentNumber))).toBe(documentNumber);
  });

  test('when non-ASCII and empty values are encrypted, then they round-trip', () => {
    expect(pii.decrypt(pii.encrypt('北京市海淀区'))).toBe('北京市海淀区');
    expect(pii.decrypt(pii.encrypt(''))).toBe('');
  });

  test('when a value is encrypted, then the token is v1 and four base64url parts with a 12-byte IV and 16-byte tag', () => {
    const token = pii.encrypt(documentNumber);
    expect(token).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const [, iv, , tag] = token.split('.');
    expect(Buffer.from(iv, 'base64url')).toHaveLength(12);
    expect(Buffer.from(tag, 'base64url')).toHaveLength(16);
    expect(token).not.toContain(documentNumber);
  });

  test('when the same value is encrypted twice, then the IVs and ciphertexts differ', () => {
    const first = pii.encrypt(documentNumber).split('.');
    const second = pii.encrypt(documentNumber).split('.');
    expect(first[1]).not.toBe(second[1]);
    expect(first[2]).not.toBe(second[2]);
  });

  test('when many values are encrypted, then no IV repeats', () => {
    const ivs = new Set(Array.from({ length: 1000 }, () => pii.encrypt('x').split('.')[1]));
    expect(ivs.size).toBe(1000);
  });

  test.each<[1 | 2 | 3, string]>([
    [1, 'IV'],
    [2, 'ciphertext'],
    [3, 'tag'],
  ])('when one bit of part %i (%s) is flipped, then decryption throws', (part) => {
    const tampered = flipBit(pii.encrypt(documentNumber), part);
    expect(() => pii.decrypt(tampered)).toThrow(/failed authentication/);
  });

  test('when the token was made under another key, then decryption throws', () => {
    const other = new PiiCrypto(randomBytes(32));
    expect(() => pii.decrypt(other.encrypt(documentNumber))).toThrow(/failed authentication/);
  });

  test('when the tag is truncated, then decryption throws instead of accepting a short tag', () => {
    const parts = pii.encrypt(documentNumber).split('.');
    parts[3] = Buffer.from(parts[3], 'base64url').subarray(0, 12).toString('base64url');
    expect(() => pii.decrypt(parts.join('.'))).toThrow(/malformed/);
  });

  test('when a part carries characters outside base64url, then decryption throws', () => {
    const parts = pii.encrypt(documentNumber).split('.');
    parts[2] = `${parts[2]}!`;
    expect(() => pii.decrypt(parts.join('.'))).toThrow(/malformed/);
  });

  test.each(['', 'v1.a.b', 'v2.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA', 'not a token'])(
    'when the token is %j, then decryption throws as malformed',
    (token) => {
      expect(() => pii.decrypt(token)).toThrow(/malformed/);
    },
  );

  test.each([0, 16, 31, 33, 64])('when the key has %i bytes, then construction throws', (length) => {
    expect(() => new PiiCrypto(Buffer.alloc(length))).toThrow(/32 bytes/);
  });

  test('when the object is serialized, then no key material appears', () => {
    expect(JSON.stringify(pii)).toBe('{}');
  });
});

describe('PiiCrypto blind index', () => {
  // Stored indexes and ciphertexts depend on the key derivation: if these values change, every
  // stored document number becomes unfindable and unreadable.
  test('when the fixed test key indexes a document number, then the index is the pinned value', () => {
    expect(pii.blindIndex(documentNumber)).toBe('593f30a8cd3e01dae60f42c6dd0e1b009b7de4d5d61f56f1662e41d337223339');
  });

  test('when a token stored under the fixed test key is decrypted, then the document number comes back', () => {
    expect(pii.decrypt('v1.AQIDBAUGBwgJCgsM.n15EvIfx0066OndNCa23A0IS.3vQw6JyK94259iDXjfPXwg')).toBe(documentNumber);
  });

  test('when the same value is indexed twice, then the index is the same 64 hex characters', () => {
    const index = pii.blindIndex(documentNumber);
    expect(index).toMatch(/^[0-9a-f]{64}$/);
    expect(pii.blindIndex(documentNumber)).toBe(index);
  });

  test('when two values differ, then their indexes differ', () => {
    expect(pii.blindIndex('110105194912310021')).not.toBe(pii.blindIndex(documentNumber));
  });

  test('when another key indexes the value, then the index differs', () => {
    expect(new PiiCrypto(randomBytes(32)).blindIndex(documentNumber)).not.toBe(pii.blindIndex(documentNumber));
  });

  test('when the value is indexed, then the index is keyed and not a plain SHA-256 of the value', () => {
    expect(pii.blindIndex(documentNumber)).not.toBe(createHash('sha256').update(documentNumber).digest('hex'));
  });
});

describe('parsePiiKey', () => {
  const bytes = randomBytes(32);

  test('when the key is 64 hex characters, then its 32 bytes are returned', () => {
    expect(parsePiiKey(bytes.toString('hex'))).toEqual(bytes);
    expect(parsePiiKey(bytes.toString('hex').toUpperCase())).toEqual(bytes);
  });

  test('when the key is base64 of 32 bytes, with or without padding and a trailing newline, then its bytes are returned', () => {
    const base64 = bytes.toString('base64');
    expect(parsePiiKey(`${base64}\n`)).toEqual(bytes);
    expect(parsePiiKey(base64.replace(/=$/, ''))).toEqual(bytes);
  });

  test.each([
    ['empty', ''],
    ['hex of 31 bytes', 'ab'.repeat(31)],
    ['hex of 33 bytes', 'ab'.repeat(33)],
    ['base64 of 16 bytes', Buffer.alloc(16, 7).toString('base64')],
    ['base64 of 48 bytes', Buffer.alloc(48, 7).toString('base64')],
    ['a passphrase', 'correct horse battery staple'],
  ])('when the key is %s, then a clear error is thrown', (_label, text) => {
    expect(() => parsePiiKey(text)).toThrow(/32 bytes written as 64 hex characters or as base64/);
  });

  test('when the key is refused, then the error message does not echo the secret', () => {
    expect(() => parsePiiKey('correct horse battery staple')).toThrow(Error);
    expect(() => parsePiiKey('correct horse battery staple')).not.toThrow(/horse/);
  });
});

describe('masking', () => {
  test('when an 18-character document number is masked, then the first 3 and last 4 characters remain', () => {
    expect(maskDocumentNumber('11010519491231123X')).toBe('110***********123X');
  });

  test.each([
    ['H12345678', 'H1*****78'],
    ['AB123', 'A***3'],
    ['ABC', '***'],
    ['', ''],
  ])('when the short document number %j is masked, then at least half is hidden: %j', (value, masked) => {
    expect(maskDocumentNumber(value)).toBe(masked);
  });

  test('when an 11-digit mobile is masked, then the first 3 and last 4 digits remain', () => {
    expect(maskMobile('13800000000')).toBe('138****0000');
  });

  test('when a mobile of another length is masked, then it is masked like a document number', () => {
    expect(maskMobile('85212345678901')).toBe('852********901');
  });

  test.each([
    ['张三丰', '张**'],
    ['张三', '张*'],
    ['欧阳娜娜', '欧***'],
    ['张', '*'],
    ['', ''],
    ['𠀋太郎', '𠀋**'],
  ])('when the name %j is masked, then it becomes %j', (value, masked) => {
    expect(maskName(value)).toBe(masked);
  });
});
