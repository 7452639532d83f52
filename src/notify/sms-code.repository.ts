import type { Db } from '../db/database.js';
import type { SmsPurpose } from './sms-templates.js';

export interface SmsCodeRecord {
  id: number;
  codeHash: string;
  attempts: number;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
}

export interface NewSmsCode {
  mobileIndex: string;
  purpose: SmsPurpose;
  codeHash: string;
  ip: string;
  createdAt: Date;
  expiresAt: Date;
}

/** SQL for one-time codes. Methods taking `trx` must run inside the caller's transaction. */
export class SmsCodeRepository {
  constructor(private readonly db: Db) {}

  /**
   * Serialises code requests sharing `key` until the transaction ends, so two requests at once
   * cannot both pass the resend wait or the last slot of a daily cap.
   */
  async lock(trx: Db, key: string): Promise<void> {
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [key]);
  }

  /** When the mobile was last sent a code, for any purpose. */
  async lastIssuedAt(trx: Db, mobileIndex: string): Promise<Date | undefined> {
    const row = await trx('sms_codes').where({ mobile_index: mobileIndex }).orderBy('created_at', 'desc').first('created_at');
    return row ? new Date(row.created_at) : undefined;
  }

  async countSince(trx: Db, by: { mobileIndex: string } | { ip: string }, since: Date): Promise<number> {
    const where = 'mobileIndex' in by ? { mobile_index: by.mobileIndex } : { ip: by.ip };
    const row = await trx('sms_codes').where(where).andWhere('created_at', '>=', since).count<{ count: string }[]>({ count: '*' }).first();
    return Number(row?.count ?? 0);
  }

  async insert(trx: Db, code: NewSmsCode): Promise<number> {
    const [row] = await trx('sms_codes')
      .insert({
        mobile_index: code.mobileIndex,
        purpose: code.purpose,
        code_hash: code.codeHash,
        ip: code.ip,
        created_at: code.createdAt,
        expires_at: code.expiresAt,
      })
      .returning('id');
    return Number(row.id);
  }

  /** Removes a code that never reached the phone. */
  async delete(id: number): Promise<void> {
    await this.db('sms_codes').where({ id }).delete();
  }

  /** The newest code of this mobile and purpose, locked against concurrent verification. */
  async latestForUpdate(trx: Db, mobileIndex: string, purpose: SmsPurpose): Promise<SmsCodeRecord | undefined> {
    const row = await trx('sms_codes')
      .where({ mobile_index: mobileIndex, purpose })
      .orderBy('id', 'desc')
      .forUpdate()
      .first('id', 'code_hash', 'attempts', 'created_at', 'expires_at', 'used_at');
    if (!row) return undefined;
    return {
      id: Number(row.id),
      codeHash: row.code_hash,
      attempts: row.attempts,
      createdAt: new Date(row.created_at),
      expiresAt: new Date(row.expires_at),
      usedAt: row.used_at ? new Date(row.used_at) : null,
    };
  }

  /** Counts a wrong entry; returns the attempts so far. */
  async addAttempt(trx: Db, id: number): Promise<number> {
    const [row] = await trx('sms_codes').where({ id }).increment('attempts', 1).returning('attempts');
    return row.attempts;
  }

  async markUsed(trx: Db, id: number, at: Date): Promise<void> {
    await trx('sms_codes').where({ id }).update({ used_at: at });
  }

  /** Deletes codes created before `before`: past their expiry and out of every daily cap. */
  async purgeCreatedBefore(before: Date): Promise<number> {
    return this.db('sms_codes').where('created_at', '<', before).delete();
  }
}
