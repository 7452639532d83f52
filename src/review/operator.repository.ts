import type { Db } from '../db/database.js';
import type { PiiCrypto } from '../security/pii-crypto.js';

export type OperatorRole = 'reviewer' | 'admin';
export type OperatorStatus = 'active' | 'disabled';

export interface Operator {
  id: string;
  username: string;
  role: OperatorRole;
  status: OperatorStatus;
  createdAt: Date;
  lastLoginAt: Date | null;
}

export interface OperatorCredentials extends Operator {
  passwordHash: string;
  totpSecret: string;
  totpLastStep: number | null;
}

const toOperator = (row: Record<string, unknown>): Operator => ({
  id: row.id as string,
  username: row.username as string,
  role: row.role as OperatorRole,
  status: row.status as OperatorStatus,
  createdAt: new Date(row.created_at as string),
  lastLoginAt: row.last_login_at ? new Date(row.last_login_at as string) : null,
});

/** SQL for operators; the TOTP secret is encrypted and decrypted here, at the edge. */
export class OperatorRepository {
  constructor(
    private readonly db: Db,
    private readonly crypt: PiiCrypto,
  ) {}

  async insert(operator: { id: string; username: string; passwordHash: string; totpSecret: string; role: OperatorRole }, trx: Db = this.db) {
    await trx('operators').insert({
      id: operator.id,
      username: operator.username,
      password_hash: operator.passwordHash,
      totp_secret_encrypted: this.crypt.encrypt(operator.totpSecret),
      role: operator.role,
    });
  }

  async usernameTaken(username: string, trx: Db = this.db): Promise<boolean> {
    return Boolean(await trx('operators').whereRaw('lower(username) = lower(?)', [username]).first('id'));
  }

  async findCredentials(username: string): Promise<OperatorCredentials | undefined> {
    const row = await this.db('operators').whereRaw('lower(username) = lower(?)', [username]).first();
    if (!row) return undefined;
    return {
      ...toOperator(row),
      passwordHash: row.password_hash,
      totpSecret: this.crypt.decrypt(row.totp_secret_encrypted),
      totpLastStep: row.totp_last_step === null ? null : Number(row.totp_last_step),
    };
  }

  async findById(id: string): Promise<Operator | undefined> {
    const row = await this.db('operators').where({ id }).first();
    return row ? toOperator(row) : undefined;
  }

  /**
   * Records `step` as the last TOTP step used, unless that step (or a later one) already was: two
   * sign-ins racing with the same code cannot both win.
   */
  async acceptTotpStep(id: string, step: number): Promise<boolean> {
    const updated = await this.db('operators')
      .where({ id })
      .andWhere((q) => q.whereNull('totp_last_step').orWhere('totp_last_step', '<', step))
      .update({ totp_last_step: step });
    return updated === 1;
  }

  async recordLogin(id: string): Promise<void> {
    await this.db('operators').where({ id }).update({ last_login_at: this.db.fn.now() });
  }
}
