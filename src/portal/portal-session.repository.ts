import crypto from 'node:crypto';
import type { Db } from '../db/database.js';
import type { PiiCrypto } from '../security/pii-crypto.js';

const hash = (value: string) => crypto.createHash('sha256').update(value).digest('hex');

export interface PortalSession {
  accountId: string;
  idToken: string;
}

/** Server-side portal sessions; the cookie holds a random id, the table only its hash. */
export class PortalSessionRepository {
  constructor(
    private readonly db: Db,
    private readonly crypt: PiiCrypto,
  ) {}

  async create(session: { accountId: string; opSid: string | undefined; idToken: string; ttlSeconds: number }): Promise<string> {
    const id = crypto.randomBytes(32).toString('base64url');
    await this.db('portal_sessions').insert({
      id_hash: hash(id),
      account_id: session.accountId,
      op_sid: session.opSid ?? null,
      id_token_encrypted: this.crypt.encrypt(session.idToken),
      expires_at: new Date(Date.now() + session.ttlSeconds * 1000),
    });
    return id;
  }

  async find(id: string): Promise<PortalSession | undefined> {
    const row = await this.db('portal_sessions')
      .where({ id_hash: hash(id) })
      .andWhere('expires_at', '>', this.db.fn.now())
      .first('account_id', 'id_token_encrypted');
    return row ? { accountId: row.account_id, idToken: this.crypt.decrypt(row.id_token_encrypted) } : undefined;
  }

  async delete(id: string): Promise<void> {
    await this.db('portal_sessions').where({ id_hash: hash(id) }).delete();
  }

  /** Back-channel logout: the OP ended session `sid` (or every session of `accountId`). */
  async deleteByOpSession(opSid: string | undefined, accountId: string, trx: Db = this.db): Promise<number> {
    const q = trx('portal_sessions').where({ account_id: accountId });
    if (opSid) q.andWhere({ op_sid: opSid });
    return q.delete();
  }

  /** A password change: every other portal session of the account ends, the one making it stays. */
  async deleteOthers(accountId: string, keepId: string): Promise<number> {
    return this.db('portal_sessions').where({ account_id: accountId }).whereNot({ id_hash: hash(keepId) }).delete();
  }

  async purgeExpired(): Promise<number> {
    return this.db('portal_sessions').where('expires_at', '<=', this.db.fn.now()).delete();
  }
}
