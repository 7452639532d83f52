import type { MessageKey, Translate } from './i18n/index.js';

/**
 * A failure the user can act on: `code` is an i18n key, `status` the HTTP status, `fields` the
 * per-field message keys for forms. The error handler turns these into pages or JSON.
 */
export class DomainError extends Error {
  constructor(
    readonly code: MessageKey,
    readonly status: number = 400,
    readonly fields: Partial<Record<string, MessageKey>> = {},
    readonly params: Record<string, string | number> = {},
  ) {
    super(code);
  }

  /** Each offending field's message in the user's language (with this error's parameters filled in). */
  fieldMessages(t: Translate): Record<string, string> {
    return Object.fromEntries(Object.entries(this.fields).map(([field, key]) => [field, t(key!, this.params)]));
  }
}

/** Bad input: one message per offending field. */
export class ValidationError extends DomainError {
  constructor(fields: Partial<Record<string, MessageKey>>) {
    super('error.validation', 400, fields);
  }
}

/**
 * Too many requests for now: 429, with how long to wait. The error handler (and a form shown again,
 * registration-form.ts) sends the wait as Retry-After, so no route has to.
 */
export class RateLimitedError extends DomainError {
  constructor(
    readonly retryAfterSeconds: number,
    code: MessageKey = 'error.too_many_requests',
    fields: Partial<Record<string, MessageKey>> = {},
    params: Record<string, string | number> = {},
  ) {
    super(code, 429, fields, params);
  }
}

export class NotFoundError extends DomainError {
  constructor() {
    super('error.not_found', 404);
  }
}
