/**
 * Protection of sensitive personal information (SPEC §1): document numbers are stored encrypted,
 * found through a keyed hash (blind index) and shown masked.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

const KEY_BYTES = 32;
// 96-bit random IVs are safe for up to 2^32 encryptions under one key — far beyond our volume.
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT_VERSION = 'v1';
const BYTES_FORMAT_VERSION = Buffer.from([0x01]);

const KEY_FORMAT_MESSAGE =
  'The PII key must be 32 bytes written as 64 hex characters or as base64 (e.g. `openssl rand -base64 32`)';

/** Accepts the master key as 64 hex characters or as base64 of 32 bytes. */
export function parsePiiKey(text: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  // 32 bytes are 43 base64 characters plus one '=' of padding.
  if (/^[A-Za-z0-9+/]{43}=?$/.test(trimmed)) return Buffer.from(trimmed, 'base64');
  // The message never echoes the input: it may be a nearly-right secret.
  throw new Error(KEY_FORMAT_MESSAGE);
}

function deriveSubkey(masterKey: Buffer, info: string): Buffer {
  // The master key is already uniformly random, so HKDF needs no salt (RFC 5869 §3.1).
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), info, KEY_BYTES));
}

/** Strict base64url: Node's decoder skips stray characters, which would let altered text pass. */
function decodeBase64Url(text: string): Buffer {
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) throw new Error('PII ciphertext is malformed');
  return bytes;
}

/** IVs are cut from this much CSPRNG output at a time: one call per 341 encryptions, not one each (bulk imports). */
const IV_POOL_BYTES = 4092;

export class PiiCrypto {
  // Private fields keep the keys out of JSON.stringify and accidental logging of the object.
  readonly #encryptionKey: Buffer;
  readonly #blindIndexKey: Buffer;
  #ivPool = Buffer.alloc(0);
  #ivOffset = 0;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== KEY_BYTES) throw new Error(KEY_FORMAT_MESSAGE);
    // Separate subkeys: the blind index is a deterministic MAC stored next to the ciphertext,
    // and must share no key with the cipher.
    this.#encryptionKey = deriveSubkey(masterKey, 'pii-encryption');
    this.#blindIndexKey = deriveSubkey(masterKey, 'pii-blind-index');
  }

  /** AES-256-GCM under a fresh random IV: `v1.<iv>.<ciphertext>.<tag>`, each part base64url. */
  encrypt(plain: string): string {
    const iv = this.#nextIv();
    const cipher = createCipheriv('aes-256-gcm', this.#encryptionKey, iv, { authTagLength: TAG_BYTES });
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [FORMAT_VERSION, iv.toString('base64url'), ciphertext.toString('base64url'), tag.toString('base64url')].join('.');
  }

  /** A fresh random IV, copied out of the pool (which is never handed out twice). */
  #nextIv(): Buffer {
    if (this.#ivOffset + IV_BYTES > this.#ivPool.length) {
      this.#ivPool = randomBytes(IV_POOL_BYTES);
      this.#ivOffset = 0;
    }
    const iv = Buffer.from(this.#ivPool.subarray(this.#ivOffset, this.#ivOffset + IV_BYTES));
    this.#ivOffset += IV_BYTES;
    return iv;
  }

  /** Throws when the token is malformed, was altered, or was made under another key. */
  decrypt(token: string): string {
    const parts = token.split('.');
    if (parts.length !== 4 || parts[0] !== FORMAT_VERSION) throw new Error('PII ciphertext is malformed');
    const [, ivText, ciphertextText, tagText] = parts;
    const iv = decodeBase64Url(ivText);
    const ciphertext = decodeBase64Url(ciphertextText);
    const tag = decodeBase64Url(tagText);
    // GCM would accept a truncated tag, which weakens authentication: demand the full length.
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error('PII ciphertext is malformed');

    const decipher = createDecipheriv('aes-256-gcm', this.#encryptionKey, iv, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('PII ciphertext failed authentication: altered, or made under another key');
    }
  }

  /**
   * Binary data (identity-document images) under the same cipher and key: `0x01 | iv | ciphertext |
   * tag`. `context` (e.g. the upload id) is authenticated as associated data, so a ciphertext copied
   * into another row no longer decrypts.
   */
  encryptBytes(plain: Buffer, context: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#encryptionKey, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([BYTES_FORMAT_VERSION, iv, ciphertext, cipher.getAuthTag()]);
  }

  /** Throws when the bytes are malformed, were altered, belong to another context or key. */
  decryptBytes(sealed: Buffer, context: string): Buffer {
    if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== BYTES_FORMAT_VERSION[0]) {
      throw new Error('PII ciphertext is malformed');
    }
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(sealed.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.#encryptionKey, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new Error('PII ciphertext failed authentication: altered, or made under another key');
    }
  }

  /** HMAC-SHA256 (hex) for equality lookups. Callers normalise first, or equal values won't match. */
  blindIndex(value: string): string {
    return createHmac('sha256', this.#blindIndexKey).update(value, 'utf8').digest('hex');
  }
}

function maskMiddle(characters: string[], keepStart: number, keepEnd: number): string {
  const start = characters.slice(0, keepStart).join('');
  const end = characters.slice(characters.length - keepEnd).join('');
  return start + '*'.repeat(characters.length - keepStart - keepEnd) + end;
}

/** `110***********123X`: the first 3 and last 4 characters of a long number. */
export function maskDocumentNumber(value: string): string {
  const characters = [...value];
  // Never more than a quarter of the characters at each end, so at least half of a short
  // number (a 9-character permit, say) stays hidden.
  const quarter = Math.floor(characters.length / 4);
  return maskMiddle(characters, Math.min(3, quarter), Math.min(4, quarter));
}

/** `138****0000` for an 11-digit mainland number; any other length is masked like a document number. */
export function maskMobile(value: string): string {
  const characters = [...value];
  return characters.length === 11 ? maskMiddle(characters, 3, 4) : maskDocumentNumber(value);
}

/** `张**`: the first character only; a one-character name is hidden entirely. */
export function maskName(value: string): string {
  const characters = [...value];
  return maskMiddle(characters, characters.length > 1 ? 1 : 0, 0);
}
