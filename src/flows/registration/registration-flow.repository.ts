import crypto from 'node:crypto';
import type { Db } from '../../db/database.js';

const FLOW_TTL_SECONDS = 30 * 60;
const hash = (value: string) => crypto.createHash('sha256').update(value).digest('hex');

export interface RegistrationFlow {
  id: string;
  accountId: string;
  verificationOutcome: string;
  returnTo: string | null;
}

/** The stored result of a submitted registration, readable only by the browser that submitted it. */
export class RegistrationFlowRepository {
  constructor(private readonly db: Db) {}

  async create(flow: Omit<RegistrationFlow, 'id'>, browser: string): Promise<string> {
    const id = crypto.randomUUID();
    await this.db('registration_flows').insert({
      id,
      browser_hash: hash(browser),
      account_id: flow.accountId,
      verification_outcome: flow.verificationOutcome,
      return_to: flow.returnTo,
      expires_at: new Date(Date.now() + FLOW_TTL_SECONDS * 1000),
    });
    return id;
  }

  async find(id: string, browser: string | undefined): Promise<RegistrationFlow | undefined> {
    if (!browser || !/^[0-9a-f-]{36}$/.test(id)) return undefined;
    const row = await this.db('registration_flows')
      .where({ id, browser_hash: hash(browser) })
      .andWhere('expires_at', '>', this.db.fn.now())
      .first('id', 'account_id', 'verification_outcome', 'return_to');
    return row && { id: row.id, accountId: row.account_id, verificationOutcome: row.verification_outcome, returnTo: row.return_to };
  }
}
