import type { Db } from '../../db/database.js';

export interface ThrottleState {
  failures: number;
  lockedUntil: Date | null;
}

/** Consecutive failures older than this no longer count. */
const FAILURE_MEMORY = '24 hours';

/** Failure counts and locks per login name (known or not: the answer must not reveal which). */
export class LoginThrottleRepository {
  constructor(private readonly db: Db) {}

  async state(loginNameKey: string): Promise<ThrottleState> {
    const row = await this.db('login_throttles')
      .where('login_name_key', loginNameKey)
      .first(
        this.db.raw(`case when last_failure_at > now() - interval '${FAILURE_MEMORY}' then failures else 0 end as failures`),
        this.db.raw('case when locked_until > now() then locked_until end as locked_until'),
      );
    return { failures: row?.failures ?? 0, lockedUntil: row?.locked_until ? new Date(row.locked_until) : null };
  }

  /**
   * Adds a failure; at `lockAfter` failures the name is locked for `lockSeconds`. The count stays (so
   * the captcha is still asked for after the lock) until the next failure, which starts it again.
   */
  async recordFailure(loginNameKey: string, lockAfter: number, lockSeconds: number): Promise<ThrottleState> {
    const { rows } = await this.db.raw(
      `insert into login_throttles as t (login_name_key, failures, last_failure_at)
       values (?, 1, now())
       on conflict (login_name_key) do update set
         failures = case when t.last_failure_at > now() - interval '${FAILURE_MEMORY}' and t.locked_until is null
                         then t.failures + 1 else 1 end,
         locked_until = case when t.locked_until > now() then t.locked_until end,
         last_failure_at = now()
       returning failures`,
      [loginNameKey],
    );
    const failures = (rows[0] as { failures: number }).failures;
    if (failures < lockAfter) return { failures, lockedUntil: null };
    const lockedUntil = new Date(Date.now() + lockSeconds * 1000);
    await this.db('login_throttles').where('login_name_key', loginNameKey).update({ locked_until: lockedUntil });
    return { failures, lockedUntil };
  }

  async reset(loginNameKey: string, trx: Db = this.db): Promise<void> {
    await trx('login_throttles').where('login_name_key', loginNameKey).delete();
  }
}
