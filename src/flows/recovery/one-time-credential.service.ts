import crypto from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import { sharedSecret } from '../../security/app-secrets.js';
import type { PiiCrypto } from '../../security/pii-crypto.js';

/** 12 digits: 40 bits against 5 guesses per lockout window, and starred by maskCodes in any log. */
const CREDENTIAL_DIGITS = 12;

/**
 * One-time credentials (SPEC §7): an approved appeal texts the user a credential that signs in
 * once, within its lifetime, and only to set a new password.
 *
 *   issue ──▶ outstanding ──matches (login)──▶ still outstanding until consume (new password set)
 *                 │ expires, or a new issue replaces it, or consume: never matches again
 *
 * Stored as an HMAC with a shared app secret (as SMS codes are): a copy of the table cannot be
 * searched through the 10^12 credentials without the key. Argon2 would add nothing at 40 bits
 * under the login lockout, and cost a hash per login of every account.
 */
export class OneTimeCredentialService {
  #key: Promise<Buffer> | undefined;

  constructor(
    private readonly db: Db,
    private readonly crypt: PiiCrypto,
    private readonly clock: Clock,
    private readonly ttlSeconds: number,
  ) {}

  /** Makes the account's credential (replacing any earlier one) and returns it in clear, to text once. */
  async issue(accountId: string, issuedFor: string, trx: Db = this.db): Promise<{ credential: string; expiresAt: Date }> {
    const credential = Array.from({ length: CREDENTIAL_DIGITS }, () => crypto.randomInt(0, 10)).join('');
    const now = this.clock();
    const expiresAt = new Date(now.getTime() + this.ttlSeconds * 1000);
    const row = { credential_hash: await this.hash(accountId, credential), issued_for: issuedFor, issued_at: now, expires_at: expiresAt, used_at: null };
    await trx('one_time_credentials').insert({ account_id: accountId, ...row }).onConflict('account_id').merge();
    return { credential, expiresAt };
  }

  /** Whether `candidate` is the account's outstanding credential: not used, not expired. Constant-time. */
  async matches(accountId: string, candidate: string): Promise<boolean> {
    if (!/^\d{12}$/.test(candidate)) return false;
    const row = await this.db('one_time_credentials')
      .where({ account_id: accountId })
      .whereNull('used_at')
      .where('expires_at', '>', this.clock())
      .first('credential_hash');
    if (!row) return false;
    const expected = Buffer.from(row.credential_hash as string, 'hex');
    const actual = Buffer.from(await this.hash(accountId, candidate), 'hex');
    return crypto.timingSafeEqual(expected, actual);
  }

  /** Uses the credential up (the new password is being set); false when it was not outstanding. */
  async consume(accountId: string, trx: Db = this.db): Promise<boolean> {
    const updated = await trx('one_time_credentials')
      .where({ account_id: accountId })
      .whereNull('used_at')
      .where('expires_at', '>', this.clock())
      .update({ used_at: this.clock() });
    return updated === 1;
  }

  /** Whether the account has a credential outstanding (for the login path and pages). */
  async outstanding(accountId: string): Promise<boolean> {
    const row = await this.db('one_time_credentials')
      .where({ account_id: accountId })
      .whereNull('used_at')
      .where('expires_at', '>', this.clock())
      .first('account_id');
    return Boolean(row);
  }

  private async hash(accountId: string, credential: string): Promise<string> {
    this.#key ??= sharedSecret(this.db, this.crypt, 'one_time_credential_key').catch((error: unknown) => {
      this.#key = undefined;
      throw error;
    });
    return crypto.createHmac('sha256', await this.#key).update(`${accountId}:${credential}`).digest('hex');
  }
}
