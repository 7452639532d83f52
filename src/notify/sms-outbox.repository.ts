import type { Db } from '../db/database.js';
import type { PiiCrypto } from '../security/pii-crypto.js';
import type { SmsMessage } from './sms.port.js';

export interface OutboxMessage {
  id: number;
  mobile: string;
  template: string;
  text: string;
  createdAt: Date;
}

/** The development outbox: text messages kept in a table instead of sent. Mobiles are stored encrypted. */
export class SmsOutboxRepository {
  constructor(
    private readonly db: Db,
    private readonly crypt: PiiCrypto,
  ) {}

  async add(message: SmsMessage): Promise<void> {
    await this.db('sms_outbox').insert({
      mobile_encrypted: this.crypt.encrypt(message.mobile),
      mobile_index: this.crypt.blindIndex(message.mobile),
      template: message.template,
      text: message.text,
    });
  }

  /** The newest `limit` messages, newest first; only those to `mobile` (normalised) when given. */
  async recent(filter: { mobile?: string; limit: number }): Promise<OutboxMessage[]> {
    const query = this.db('sms_outbox').orderBy('id', 'desc').limit(filter.limit);
    if (filter.mobile) query.where({ mobile_index: this.crypt.blindIndex(filter.mobile) });
    const rows = await query.select('id', 'mobile_encrypted', 'template', 'text', 'created_at');
    return rows.map((row) => ({
      id: Number(row.id),
      mobile: this.crypt.decrypt(row.mobile_encrypted),
      template: row.template,
      text: row.text,
      createdAt: new Date(row.created_at),
    }));
  }
}
