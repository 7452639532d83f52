import crypto from 'node:crypto';
import type { JWK } from 'oidc-provider';
import type { Db } from '../db/database.js';
import type { PiiCrypto } from '../security/pii-crypto.js';

/** Retired keys stay published this long, covering every token they may have signed. */
const RETIRED_KEY_RETENTION_DAYS = 7;

function generateRsaKey(): { kid: string; jwk: JWK } {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = crypto.randomBytes(12).toString('base64url');
  return { kid, jwk: { ...(privateKey.export({ format: 'jwk' }) as JWK), kid, alg: 'RS256', use: 'sig' } };
}

/**
 * Signing keys live in the database, encrypted, so every instance signs with the same key.
 * The newest unretired key signs; retired keys are still published for verification.
 */
export class SigningKeys {
  constructor(
    private readonly db: Db,
    private readonly crypt: PiiCrypto,
  ) {}

  /** The provider's JWKS, signing key first. Generates the first key on a fresh database. */
  async load(): Promise<{ keys: JWK[] }> {
    await this.db.transaction(async (trx) => {
      // Serialises first start-up across instances so exactly one first key is made.
      await trx.raw('lock table signing_keys in share row exclusive mode');
      const active = await trx('signing_keys').whereNull('retired_at').first('kid');
      if (!active) await this.insert(trx);
    });
    const rows = await this.db('signing_keys')
      .where((q) =>
        q.whereNull('retired_at').orWhere('retired_at', '>', this.db.raw(`now() - interval '${RETIRED_KEY_RETENTION_DAYS} days'`)),
      )
      .orderByRaw('retired_at is not null, created_at desc')
      .select('private_jwk_encrypted');
    return { keys: rows.map((row) => JSON.parse(this.crypt.decrypt(row.private_jwk_encrypted)) as JWK) };
  }

  /** Makes a new signing key and retires the current one; returns both kids. */
  async rotate(): Promise<{ newKid: string; retiredKids: string[] }> {
    return this.db.transaction(async (trx) => {
      await trx('signing_keys').whereNull('retired_at').first('kid').forUpdate();
      const retired = await trx('signing_keys').whereNull('retired_at').update({ retired_at: trx.fn.now() }).returning('kid');
      const newKid = await this.insert(trx);
      await trx('signing_keys')
        .where('retired_at', '<', trx.raw(`now() - interval '${RETIRED_KEY_RETENTION_DAYS} days'`))
        .delete();
      return { newKid, retiredKids: retired.map((row: { kid: string }) => row.kid) };
    });
  }

  /** Public keys as published, newest first (for the CLI's listing). */
  async list(): Promise<Array<{ kid: string; createdAt: Date; retiredAt: Date | null }>> {
    const rows = await this.db('signing_keys').orderBy('created_at', 'desc').select('kid', 'created_at', 'retired_at');
    return rows.map((row) => ({ kid: row.kid, createdAt: new Date(row.created_at), retiredAt: row.retired_at && new Date(row.retired_at) }));
  }

  private async insert(trx: Db): Promise<string> {
    const { kid, jwk } = generateRsaKey();
    await trx('signing_keys').insert({ kid, alg: 'RS256', private_jwk_encrypted: this.crypt.encrypt(JSON.stringify(jwk)) });
    return kid;
  }
}
