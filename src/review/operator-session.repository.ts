import type { Db } from '../db/database.js';
import type { Operator } from './operator.repository.js';

export interface OperatorSession {
  /** SHA-256 of the cookie's token: what the database knows. */
  id: string;
  operatorId: string;
  createdAt: Date;
  expiresAt: Date;
  lastSeenAt: Date;
}

/** SQL for the console's server-side sessions. */
export class OperatorSessionRepository {
  constructor(private readonly db: Db) {}

  async insert(session: OperatorSession): Promise<void> {
    await this.db('operator_sessions').insert({
      id: session.id,
      operator_id: session.operatorId,
      created_at: session.createdAt,
      expires_at: session.expiresAt,
      last_seen_at: session.lastSeenAt,
    });
  }

  /** The session and its operator, if the session is within both of its deadlines and the operator is active. */
  async findLive(id: string, now: Date, idleSince: Date): Promise<{ session: OperatorSession; operator: Operator } | undefined> {
    const row = await this.db('operator_sessions as s')
      .join('operators as o', 'o.id', 's.operator_id')
      .where('s.id', id)
      .andWhere('s.expires_at', '>', now)
      .andWhere('s.last_seen_at', '>', idleSince)
      .andWhere('o.status', 'active')
      .first('s.*', 'o.username', 'o.role', 'o.status', 'o.created_at as operator_created_at', 'o.last_login_at');
    if (!row) return undefined;
    return {
      session: {
        id: row.id,
        operatorId: row.operator_id,
        createdAt: new Date(row.created_at),
        expiresAt: new Date(row.expires_at),
        lastSeenAt: new Date(row.last_seen_at),
      },
      operator: {
        id: row.operator_id,
        username: row.username,
        role: row.role,
        status: row.status,
        createdAt: new Date(row.operator_created_at),
        lastLoginAt: row.last_login_at ? new Date(row.last_login_at) : null,
      },
    };
  }

  async touch(id: string, now: Date): Promise<void> {
    await this.db('operator_sessions').where({ id }).update({ last_seen_at: now });
  }

  async delete(id: string): Promise<void> {
    await this.db('operator_sessions').where({ id }).delete();
  }

  async purgeExpired(now: Date, idleSince: Date): Promise<number> {
    return this.db('operator_sessions').where('expires_at', '<=', now).orWhere('last_seen_at', '<=', idleSince).delete();
  }
}
