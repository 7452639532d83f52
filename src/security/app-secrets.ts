import crypto from 'node:crypto';
import type { Db } from '../db/database.js';
import type { PiiCrypto } from './pii-crypto.js';

/**
 * Random secrets every instance must share (cookie signing keys, the CSRF key): made by the first
 * instance that needs one, stored encrypted, read by the others.
 */
export async function sharedSecret(db: Db, crypt: PiiCrypto, name: string): Promise<Buffer> {
  const candidate = crypto.randomBytes(32).toString('base64');
  await db('app_secrets')
    .insert({ name, value_encrypted: crypt.encrypt(candidate) })
    .onConflict('name')
    .ignore();
  const row = await db('app_secrets').where({ name }).first('value_encrypted');
  return Buffer.from(crypt.decrypt(row.value_encrypted), 'base64');
}
