import crypto from 'node:crypto';
import { PiiCrypto } from '../../src/security/pii-crypto.js';

describe('PII crypto for bytes (uploaded images)', () => {
  const crypt = new PiiCrypto(crypto.randomBytes(32));
  const image = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), crypto.randomBytes(2048)]);

  test('when bytes are encrypted and decrypted in the same context, then they come back unchanged, and the sealed form shows none of them', () => {
    const sealed = crypt.encryptBytes(image, 'upload:1');
    expect(sealed[0]).toBe(0x01);
    expect(sealed.length).toBe(1 + 12 + image.length + 16);
    expect(sealed.includes(image.subarray(0, 16))).toBe(false);
    expect(crypt.decryptBytes(sealed, 'upload:1')).toEqual(image);
  });

  test('when the same bytes are encrypted twice, then the results differ (fresh IV each time)', () => {
    expect(crypt.encryptBytes(image, 'c').equals(crypt.encryptBytes(image, 'c'))).toBe(false);
  });

  test('when one byte is altered, the context differs, or the key differs, then decryption throws', () => {
    const sealed = crypt.encryptBytes(image, 'upload:1');
    const altered = Buffer.from(sealed);
    altered[40] ^= 1;
    expect(() => crypt.decryptBytes(altered, 'upload:1')).toThrow(/authentication/);
    expect(() => crypt.decryptBytes(sealed, 'upload:2')).toThrow(/authentication/);
    expect(() => new PiiCrypto(crypto.randomBytes(32)).decryptBytes(sealed, 'upload:1')).toThrow(/authentication/);
  });

  test('when the sealed bytes are truncated or of an unknown version, then decryption throws "malformed"', () => {
    const sealed = crypt.encryptBytes(image, 'x');
    expect(() => crypt.decryptBytes(sealed.subarray(0, 20), 'x')).toThrow(/malformed/);
    expect(() => crypt.decryptBytes(Buffer.concat([Buffer.from([0x02]), sealed.subarray(1)]), 'x')).toThrow(/malformed/);
  });
});
