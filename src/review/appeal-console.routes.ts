import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import { DomainError, NotFoundError, ValidationError } from '../errors.js';
import type { Translate } from '../i18n/index.js';
import type { AppealForReview, AppealReviewService } from './appeal-review.service.js';
import { CASE_IMAGE_ROLES } from './review-case.repository.js';
import { REJECTION_REASON_MAX, type Reviewer } from './review.service.js';

/** What the console (console.routes.ts) lends its appeal pages: its guard, its page frame, the reviewer. */
export interface AppealConsoleDeps {
  appeals: AppealReviewService;
  requireOperator: (ctx: Context, next: Next) => Promise<unknown>;
  render: (ctx: Context, template: string, data: Record<string, unknown>, status?: number) => void;
  reviewer: (ctx: Context) => Reviewer;
  /** The posted form's field as text, at most `max` characters. */
  field: (ctx: Context, name: string, max: number) => string;
}

interface DecisionView {
  reason?: string;
  accountId?: string;
  replaceContact?: boolean;
  errors?: Record<string, string>;
  message?: string;
}

/**
 * The console's appeal pages (SPEC §7, §10): /console/appeals/:id shows the appeal in clear, its
 * images, and the accounts it may be about; approve (choosing the account when several match) or
 * reject with a reason. After a decision the queue says how it went, and whether the SMS went out.
 */
export function appealConsoleRoutes(router: Router, deps: AppealConsoleDeps): void {
  const { appeals, requireOperator, render, reviewer, field } = deps;

  function renderAppeal(ctx: Context, appeal: AppealForReview, view: DecisionView = {}, status = 200) {
    render(
      ctx,
      'console/appeal-case',
      {
        appeal,
        imageRoles: CASE_IMAGE_ROLES[appeal.kind],
        reasonMax: REJECTION_REASON_MAX,
        reason: view.reason ?? '',
        // One match is chosen already; several wait for the reviewer.
        chosenAccountId: view.accountId ?? (appeal.matches.length === 1 ? appeal.matches[0]!.accountId : ''),
        replaceContact: view.replaceContact ?? true,
        errors: view.errors ?? {},
        message: view.message,
      },
      status,
    );
  }

  router.get('/appeals/:id', requireOperator, async (ctx) => {
    renderAppeal(ctx, await appeals.caseForReview(ctx.params.id!, reviewer(ctx)));
  });

  /** Runs a decision; a refusal shows the appeal again with the message, so the reviewer sees why. */
  async function decide(ctx: Context, run: () => Promise<{ noticeSent: boolean }>, view: DecisionView) {
    try {
      const { noticeSent } = await run();
      ctx.status = 303;
      ctx.redirect(`/console/queue?decided=${encodeURIComponent(ctx.params.id!)}${noticeSent ? '' : '&notice=failed'}`);
    } catch (error) {
      if (!(error instanceof DomainError) || error instanceof NotFoundError) throw error;
      const t = ctx.state.t as Translate;
      const errors = error.fieldMessages(t);
      const message = error instanceof ValidationError || Object.keys(errors).length ? undefined : t(error.code, error.params);
      renderAppeal(ctx, await appeals.caseForReview(ctx.params.id!, reviewer(ctx)), { ...view, errors, message }, error.status);
    }
  }

  router.post('/appeals/:id/approve', requireOperator, (ctx) => {
    const accountId = field(ctx, 'accountId', 64) || undefined;
    const replaceContact = field(ctx, 'replaceContact', 8) === 'on';
    return decide(ctx, () => appeals.approve(ctx.params.id!, { accountId, replaceContact }, reviewer(ctx)), { accountId, replaceContact });
  });

  router.post('/appeals/:id/reject', requireOperator, (ctx) => {
    const reason = field(ctx, 'reason', 4 * REJECTION_REASON_MAX);
    return decide(ctx, () => appeals.reject(ctx.params.id!, reason, reviewer(ctx)), { reason });
  });
}
