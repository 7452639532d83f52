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

export interface SigningKeySet {
  /** For oidc-provider: the signing key first, then every other key still published. */
  keys: JWK[];
  /** Changes whenever the signing key or the published set changes. */
  fingerprint: string;
}

/**
 * Signing keys live in the database, encrypted, so every instance signs with the same key.
 *
 * A rotation publishes the new key at once but lets it sign only from `activates_at`, after every
 * running instance has reloaded its keys (see KeyReloader): by the time any token carries the new
 * kid, every instance's JWKS already has it. The key it replaces stays published for a week.
 */
export class SigningKeys {
  constructor(
    private readonly db: Db,
    private readonly crypt: PiiCrypto,
  ) {}

  /** The current key set. Generates the first key on a fresh database. */
  async load(): Promise<SigningKeySet> {
    await this.db.transaction(async (trx) => {
      // Serialises first start-up across instances so exactly one first key is made.
      await trx.raw('lock table signing_keys in share row exclusive mode');
      if (!(await trx('signing_keys').first('kid'))) await this.insert(trx, new Date());
    });
    const rows = await this.db('signing_keys')
      .where((q) =>
        q.whereNull('retired_at').orWhere('retired_at', '>', this.db.raw(`now() - interval '${RETIRED_KEY_RETENTION_DAYS} days'`)),
      )
      // The newest key already active signs; pending and older keys are published after it.
      .orderByRaw('(activates_at <= now()) desc, activates_at desc')
      .select('kid', 'private_jwk_encrypted');
    return {
      keys: rows.map((row) => JSON.parse(this.crypt.decrypt(row.private_jwk_encrypted)) as JWK),
      fingerprint: rows.map((row) => row.kid).join(','),
    };
  }

  /**
   * Makes a new signing key that signs from `activationDelaySeconds` from now; the keys it replaces
   * retire at that moment. A delay of 0 switches at once (a single instance, or a compromised key).
   */
  async rotate(activationDelaySeconds = 0): Promise<{ newKid: string; retiredKids: string[]; activatesAt: Date }> {
    const activatesAt = new Date(Date.now() + activationDelaySeconds * 1000);
    return this.db.transaction(async (trx) => {
      await trx.raw('lock table signing_keys in share row exclusive mode');
      const retired = await trx('signing_keys').whereNull('retired_at').update({ retired_at: activatesAt }).returning('kid');
      const newKid = await this.insert(trx, activatesAt);
      await trx('signing_keys')
        .where('retired_at', '<', trx.raw(`now() - interval '${RETIRED_KEY_RETENTION_DAYS} days'`))
        .delete();
      return { newKid, retiredKids: retired.map((row: { kid: string }) => row.kid), activatesAt };
    });
  }

  /** Keys as published, newest first (for the CLI's listing). */
  async list(): Promise<Array<{ kid: string; createdAt: Date; activatesAt: Date; retiredAt: Date | null }>> {
    const rows = await this.db('signing_keys').orderBy('created_at', 'desc').select('kid', 'created_at', 'activates_at', 'retired_at');
    return rows.map((row) => ({
      kid: row.kid,
      createdAt: new Date(row.created_at),
      activatesAt: new Date(row.activates_at),
      retiredAt: row.retired_at && new Date(row.retired_at),
    }));
  }

  private async insert(trx: Db, activatesAt: Date): Promise<string> {
    const { kid, jwk } = generateRsaKey();
    await trx('signing_keys').insert({
      kid,
      alg: 'RS256',
      private_jwk_encrypted: this.crypt.encrypt(JSON.stringify(jwk)),
      activates_at: activatesAt,
    });
    return kid;
  }
}
