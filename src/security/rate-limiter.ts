import type { Db } from '../db/database.js';
import { RateLimitedError } from '../errors.js';

export interface RateLimitResult {
  allowed: boolean;
  hits: number;
  retryAfterSeconds: number;
}

/**
 * Fixed-window counters in the database, shared by every instance. (rate-limiter-flexible's
 * PostgreSQL store talks to pg connections directly and cannot run on the embedded PGlite.)
 */
export class RateLimiter {
  constructor(private readonly db: Db) {}

  /** Counts one hit against `key`; allowed while the window's hits stay within `limit`. */
  async hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult> {
    const { rows } = await this.db.raw(
      `insert into rate_limits (key, hits, window_ends_at)
       values (?, 1, now() + make_interval(secs => ?))
       on conflict (key) do update set
         hits = case when rate_limits.window_ends_at <= now() then 1 else rate_limits.hits + 1 end,
         window_ends_at = case when rate_limits.window_ends_at <= now()
                               then excluded.window_ends_at else rate_limits.window_ends_at end
       returning hits, extract(epoch from (window_ends_at - now())) as remaining`,
      [key, windowSeconds],
    );
    const row = rows[0] as { hits: number; remaining: string | number };
    return {
      allowed: row.hits <= limit,
      hits: row.hits,
      retryAfterSeconds: Math.max(1, Math.ceil(Number(row.remaining))),
    };
  }

  /** Counts one hit like `hit`, and throws RateLimitedError (429, with the wait) once over the limit. */
  async enforce(key: string, limit: number, windowSeconds: number): Promise<void> {
    const result = await this.hit(key, limit, windowSeconds);
    if (!result.allowed) throw new RateLimitedError(result.retryAfterSeconds);
  }

  /** The current count without adding to it. */
  async peek(key: string, limit: number): Promise<RateLimitResult> {
    const row = await this.db('rate_limits')
      .where('key', key)
      .andWhere('window_ends_at', '>', this.db.fn.now())
      .first('hits', this.db.raw('extract(epoch from (window_ends_at - now())) as remaining'));
    if (!row) return { allowed: true, hits: 0, retryAfterSeconds: 0 };
    return {
      allowed: row.hits < limit,
      hits: row.hits,
      retryAfterSeconds: Math.max(1, Math.ceil(Number(row.remaining))),
    };
  }

  async purgeExpired(): Promise<number> {
    return this.db('rate_limits').where('window_ends_at', '<=', this.db.fn.now()).delete();
  }
}
