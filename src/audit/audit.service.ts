import type { Db } from '../db/database.js';
import type { Logger } from '../logger.js';

export type AuditOutcome = 'success' | 'failure' | 'locked' | 'refused';

export interface AuditEvent {
  /** Stable dotted name, e.g. `login.success`, `account.created`, `keys.rotated`. */
  event: string;
  outcome: AuditOutcome;
  actor: { type: 'account' | 'operator' | 'system' | 'anonymous' | 'cli'; id?: string };
  subject?: { type: string; id: string };
  ip?: string;
  requestId?: string;
  /** Never secrets or personal data in clear: ids, counts, masked values. */
  details?: Record<string, unknown>;
}

/** Who did it, as an audit event names them: the actor, with the address and request it came from. */
export function byActor(actor: { type: AuditEvent['actor']['type']; id?: string; ip?: string; requestId?: string }): Pick<AuditEvent, 'actor' | 'ip' | 'requestId'> {
  return { actor: { type: actor.type, id: actor.id }, ip: actor.ip, requestId: actor.requestId };
}

/** The append-only audit log (the table refuses updates and early deletes). */
export class AuditService {
  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
  ) {}

  async record(event: AuditEvent, trx: Db = this.db): Promise<void> {
    await trx('audit_events').insert({
      event: event.event,
      outcome: event.outcome,
      actor_type: event.actor.type,
      actor_id: event.actor.id ?? null,
      subject_type: event.subject?.type ?? null,
      subject_id: event.subject?.id ?? null,
      ip: event.ip ?? null,
      request_id: event.requestId ?? null,
      details: JSON.stringify(event.details ?? {}),
    });
    this.logger.info({ audit: { event: event.event, outcome: event.outcome, subject: event.subject } }, 'audit');
  }

  async recent(filter: { event?: string; subjectId?: string; limit?: number } = {}) {
    const q = this.db('audit_events').orderBy('id', 'desc').limit(filter.limit ?? 50);
    if (filter.event) q.where('event', filter.event);
    if (filter.subjectId) q.where('subject_id', filter.subjectId);
    return (await q.select()).map((row) => ({
      id: Number(row.id),
      occurredAt: new Date(row.occurred_at),
      event: row.event as string,
      outcome: row.outcome as AuditOutcome,
      actorType: row.actor_type as string,
      actorId: row.actor_id as string | null,
      subjectType: row.subject_type as string | null,
      subjectId: row.subject_id as string | null,
      ip: row.ip as string | null,
      details: row.details as Record<string, unknown>,
    }));
  }
}
