import crypto from 'node:crypto';
import type { Db } from '../../db/database.js';
import type { PasswordResetFlow, ResetContext, ResetState } from './password-reset-flow.js';

const hash = (value: string) => crypto.createHash('sha256').update(value).digest('hex');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Row {
  id: string;
  state: ResetState;
  return_to: string | null;
  context: ResetContext;
  expires_at: string | Date;
}

const toFlow = (row: Row): PasswordResetFlow => ({
  id: row.id,
  state: row.state,
  returnTo: row.return_to,
  context: row.context ?? {},
  expiresAt: new Date(row.expires_at),
});

/** SQL for recovery_flows. Times come from the caller (the service's injected clock). */
export class PasswordResetFlowRepository {
  constructor(private readonly db: Db) {}

  async create(flow: { browser: string; returnTo: string | null; now: Date; expiresAt: Date }): Promise<string> {
    const id = crypto.randomUUID();
    await this.db('recovery_flows').insert({
      id,
      browser_hash: hash(flow.browser),
      state: 'lookup',
      return_to: flow.returnTo,
      context: JSON.stringify({}),
      created_at: flow.now,
      updated_at: flow.now,
      expires_at: flow.expiresAt,
    });
    return id;
  }

  /** The flow, when it is this browser's and not expired at `now`; `lock` holds it until the transaction ends. */
  async find(id: string, browser: string | undefined, now: Date, trx: Db = this.db, lock = false): Promise<PasswordResetFlow | undefined> {
    if (!browser || !UUID.test(id)) return undefined;
    const query = trx('recovery_flows')
      .where({ id, browser_hash: hash(browser) })
      .andWhere('expires_at', '>', now)
      .first('id', 'state', 'return_to', 'context', 'expires_at');
    if (lock) query.forUpdate();
    const row = (await query) as Row | undefined;
    return row && toFlow(row);
  }

  /**
   * Moves the flow from `from` to `to` with its new context, only if it is still in `from`: of two
   * requests racing on one step, one wins. Returns whether this one did.
   */
  async advance(
    id: string,
    change: { from: ResetState; to: ResetState; context: ResetContext; now: Date; expiresAt?: Date },
    trx: Db = this.db,
  ): Promise<boolean> {
    const updated = await trx('recovery_flows')
      .where({ id, state: change.from })
      .andWhere('expires_at', '>', change.now)
      .update({
        state: change.to,
        context: JSON.stringify(change.context),
        updated_at: change.now,
        ...(change.expiresAt ? { expires_at: change.expiresAt } : {}),
      });
    return updated === 1;
  }

  /** Deletes flows past their expiry (a done flow's page has nothing left to show). */
  async purgeExpired(now: Date): Promise<number> {
    return this.db('recovery_flows').where('expires_at', '<=', now).delete();
  }
}
