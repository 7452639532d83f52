import crypto from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Settings } from '../settings.js';
import type { Operator } from './operator.repository.js';
import type { OperatorSession, OperatorSessionRepository } from './operator-session.repository.js';

const hashToken = (token: string) => crypto.createHash('sha256').update(token).digest('hex');

/**
 * Server-side console sessions: the cookie carries 256 random bits, the table only their hash.
 * A session ends after the idle timeout without a request, and at the absolute lifetime whatever
 * the activity; sign-out deletes it, so a copied cookie dies with it.
 */
export class OperatorSessionService {
  constructor(
    private readonly sessions: OperatorSessionRepository,
    private readonly limits: Settings['reviewConsole'],
    private readonly clock: Clock,
  ) {}

  /** A new session (never one the browser brought along: no fixation). Returns the cookie's token. */
  async start(operatorId: string): Promise<{ token: string; session: OperatorSession }> {
    const token = crypto.randomBytes(32).toString('base64url');
    const now = this.clock();
    // Sign-ins are rare enough to carry the clean-up of dead sessions; no timer needed.
    await this.sessions.purgeExpired(now, this.idleSince(now));
    const session = {
      id: hashToken(token),
      operatorId,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.limits.sessionTtlSeconds * 1000),
      lastSeenAt: now,
    };
    await this.sessions.insert(session);
    return { token, session };
  }

  /** The live session for a cookie's token, its idle clock restarted; undefined when unknown or expired. */
  async resume(token: string | undefined): Promise<{ session: OperatorSession; operator: Operator } | undefined> {
    if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    const now = this.clock();
    const found = await this.sessions.findLive(hashToken(token), now, this.idleSince(now));
    if (found) await this.sessions.touch(found.session.id, now);
    return found;
  }

  async end(token: string | undefined): Promise<void> {
    if (token) await this.sessions.delete(hashToken(token));
  }

  private idleSince(now: Date): Date {
    return new Date(now.getTime() - this.limits.idleTimeoutSeconds * 1000);
  }
}
