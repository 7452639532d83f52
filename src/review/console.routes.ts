import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Next } from 'koa';
import type { AuditService } from '../audit/audit.service.js';
import { DomainError, NotFoundError, ValidationError } from '../errors.js';
import { formatTime } from '../http/format-time.js';
import { renderPage, type PageChrome } from '../http/render.js';
import type { Translate } from '../i18n/index.js';
import { requireCsrf } from '../security/browser-csrf.js';
import type { CsrfTokens } from '../security/csrf.js';
import type { Operator } from './operator.repository.js';
import type { OperatorService } from './operator.service.js';
import type { OperatorSession } from './operator-session.repository.js';
import type { OperatorSessionService } from './operator-session.service.js';
import { CASE_IMAGE_ROLES } from './review-case.repository.js';
import { appealConsoleRoutes } from './appeal-console.routes.js';
import { migrationConsoleRoutes } from './migration-console.routes.js';
import type { TorchReportService } from '../migration/torch/torch-report.service.js';
import type { AppealReviewService } from './appeal-review.service.js';
import { REJECTION_REASON_MAX, type CaseForReview, type ReviewService } from './review.service.js';

export interface ConsoleDeps {
  operators: OperatorService;
  sessions: OperatorSessionService;
  reviews: ReviewService;
  appeals: AppealReviewService;
  migrationReports: TorchReportService;
  audit: AuditService;
  csrf: CsrfTokens;
  chrome: PageChrome;
  production: boolean;
}

interface ConsoleState {
  operator: Operator;
  session: OperatorSession;
  /** This session's CSRF token, for every form on console pages. */
  csrf: string;
}

/** The console's own cookie. It never reads the OP's session cookies, so a user session opens nothing here. */
const COOKIE = 'console_session';
const SIGN_IN = '/console/sign-in';
const QUEUE = '/console/queue';

function formatWaiting(since: Date, now: Date, t: Translate): string {
  const minutes = Math.max(0, Math.floor((now.getTime() - since.getTime()) / 60000));
  if (minutes < 1) return t('console.duration.under_minute');
  if (minutes < 60) return t('console.duration.minutes', { count: minutes });
  if (minutes < 48 * 60) return t('console.duration.hours', { count: Math.floor(minutes / 60) });
  return t('console.duration.days', { count: Math.floor(minutes / (24 * 60)) });
}

/**
 * The review console (SPEC §10) under /console: sign-in with password + TOTP, the queue of pending
 * cases, a case page with the data and images, approve / reject. Sessions are server-side, in a
 * cookie of their own (path /console, SameSite=Strict); every POST carries a CSRF token bound to
 * the session (or, for the sign-in form, to the browser's CSRF cookie).
 */
export function consoleRoutes(deps: ConsoleDeps): Router {
  const { operators, sessions, reviews, appeals, migrationReports, audit, csrf, chrome, production } = deps;
  const router = new Router({ prefix: '/console' });
  router.use(bodyParser({ enableTypes: ['form'], formLimit: '32kb' }));

  const cookieOptions = { httpOnly: true, sameSite: 'strict', secure: production, path: '/console', signed: false, overwrite: true } as const;
  const consoleOf = (ctx: Context) => ctx.state.console as ConsoleState | undefined;
  const form = (ctx: Context) => (ctx.request.body ?? {}) as Record<string, unknown>;
  const text = (value: unknown, max: number) => (typeof value === 'string' ? value.slice(0, max) : '');
  const reviewer = (ctx: Context) => ({ id: consoleOf(ctx)!.operator.id, ip: ctx.ip, requestId: ctx.state.requestId as string });

  router.use(async (ctx, next) => {
    const token = ctx.cookies.get(COOKIE, { signed: false });
    const live = await sessions.resume(token);
    if (live) {
      const state: ConsoleState = { ...live, csrf: csrf.issue(`console:${live.session.id}`) };
      ctx.state.console = state;
    } else if (token) {
      ctx.cookies.set(COOKIE, null, cookieOptions);
    }
    ctx.set('X-Robots-Tag', 'noindex');
    await next();
  });

  /** Signed-in operators only; their POSTs must carry the session's CSRF token. */
  async function requireOperator(ctx: Context, next: Next) {
    const state = consoleOf(ctx);
    if (!state) {
      ctx.status = 303;
      return ctx.redirect(SIGN_IN);
    }
    if (ctx.method === 'POST' && !csrf.verify(`console:${state.session.id}`, form(ctx).csrf)) {
      throw new DomainError('error.csrf', 403);
    }
    return next();
  }

  /** Renders a console page with the operator bar (name, role, sign-out). */
  function render(ctx: Context, template: string, data: Record<string, unknown>, status = 200) {
    const state = consoleOf(ctx);
    renderPage(
      ctx,
      chrome,
      template,
      {
        ...data,
        operator: state?.operator,
        consoleCsrf: state?.csrf,
        formatTime: (date: Date) => formatTime(date, ctx.state.locale),
      },
      status,
    );
  }

  function renderSignIn(ctx: Context, values: { username: string; errors: Record<string, string>; message?: string; notice?: string }, status = 200) {
    render(ctx, 'console/sign-in', { csrf: ctx.state.csrfToken, form: values }, status);
  }

  router.get('/', (ctx) => {
    ctx.status = 303;
    ctx.redirect(consoleOf(ctx) ? QUEUE : SIGN_IN);
  });

  router.get('/sign-in', (ctx) => {
    if (consoleOf(ctx)) {
      ctx.status = 303;
      return ctx.redirect(QUEUE);
    }
    const notice = ctx.query.signed_out === '1' ? ctx.state.t('console.signed_out') : undefined;
    return renderSignIn(ctx, { username: '', errors: {}, notice });
  });

  router.post('/sign-in', async (ctx) => {
    requireCsrf(ctx, csrf);
    const body = form(ctx);
    const username = text(body.username, 200);
    try {
      const operator = await operators.authenticate({
        username,
        password: text(body.password, 1000),
        totp: text(body.totp, 20),
        ip: ctx.ip,
        requestId: ctx.state.requestId,
      });
      // Whatever session the browser had ends here; the new one has a new id.
      await sessions.end(ctx.cookies.get(COOKIE, { signed: false }));
      const { token } = await sessions.start(operator.id);
      ctx.cookies.set(COOKIE, token, cookieOptions);
      ctx.status = 303;
      ctx.redirect(QUEUE);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const t = ctx.state.t as Translate;
      const errors = error.fieldMessages(t);
      renderSignIn(
        ctx,
        { username, errors, message: error instanceof ValidationError ? undefined : t(error.code, error.params) },
        error.status,
      );
    }
  });

  router.post('/sign-out', requireOperator, async (ctx) => {
    const state = consoleOf(ctx)!;
    await sessions.end(ctx.cookies.get(COOKIE, { signed: false }));
    ctx.cookies.set(COOKIE, null, cookieOptions);
    await audit.record({
      event: 'console.sign_out',
      outcome: 'success',
      actor: { type: 'operator', id: state.operator.id },
      subject: { type: 'operator', id: state.operator.id },
      ip: ctx.ip,
      requestId: ctx.state.requestId,
    });
    ctx.status = 303;
    ctx.redirect(`${SIGN_IN}?signed_out=1`);
  });

  router.get('/queue', requireOperator, async (ctx) => {
    const { cases, total } = await reviews.pendingQueue();
    const now = new Date();
    // After a decision the queue says what was done (by case id: no personal data in the URL).
    const decidedId = typeof ctx.query.decided === 'string' ? ctx.query.decided : undefined;
    const decided = decidedId ? ((await reviews.decidedCase(decidedId)) ?? (await appeals.decided(decidedId))) : undefined;
    render(ctx, 'console/queue', {
      total,
      cases: cases.map((c) => ({ ...c, waiting: formatWaiting(c.createdAt, now, ctx.state.t) })),
      decided,
      // An appeal's decision is texted to the applicant: the reviewer hears when that failed.
      noticeFailed: decided && ctx.query.notice === 'failed',
    });
  });

  function renderCase(ctx: Context, reviewCase: CaseForReview, extra: { reason?: string; errors?: Record<string, string>; message?: string } = {}, status = 200) {
    // Each kind of case has its own page: a unit's shows the unit, two people and three images.
    const template = reviewCase.kind === 'legal_verification' ? 'console/legal-case' : 'console/case';
    const imageRoles = CASE_IMAGE_ROLES[reviewCase.kind];
    render(ctx, template, { reviewCase, imageRoles, reasonMax: REJECTION_REASON_MAX, reason: '', errors: {}, ...extra }, status);
  }

  router.get('/cases/:id', requireOperator, async (ctx) => {
    renderCase(ctx, await reviews.caseForReview(ctx.params.id!, reviewer(ctx)));
  });

  /** Runs a decision; a refusal shows the case again with the message, so the reviewer sees why. */
  async function decide(ctx: Context, run: () => Promise<unknown>, reason = '') {
    try {
      await run();
      ctx.status = 303;
      ctx.redirect(`${QUEUE}?decided=${encodeURIComponent(ctx.params.id!)}`);
    } catch (error) {
      if (!(error instanceof DomainError) || error instanceof NotFoundError) throw error;
      const t = ctx.state.t as Translate;
      const errors = error.fieldMessages(t);
      const message = error instanceof ValidationError || Object.keys(errors).length ? undefined : t(error.code, error.params);
      renderCase(ctx, await reviews.caseForReview(ctx.params.id!, reviewer(ctx)), { reason, errors, message }, error.status);
    }
  }

  router.post('/cases/:id/approve', requireOperator, (ctx) => decide(ctx, () => reviews.approve(ctx.params.id!, reviewer(ctx))));

  router.post('/cases/:id/reject', requireOperator, (ctx) => {
    const reason = text(form(ctx).reason, 4 * REJECTION_REASON_MAX);
    return decide(ctx, () => reviews.reject(ctx.params.id!, reason, reviewer(ctx)), reason);
  });

  appealConsoleRoutes(router, { appeals, requireOperator, render, reviewer, field: (ctx, name, max) => text(form(ctx)[name], max) });
  migrationConsoleRoutes(router, { reports: migrationReports, audit, requireOperator, render, operatorOf: (ctx) => consoleOf(ctx)!.operator });

  router.get('/uploads/:id', requireOperator, async (ctx) => {
    const image = await reviews.caseImage(ctx.params.id!);
    if (!image) throw new NotFoundError();
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Disposition', 'inline');
    ctx.type = image.mediaType;
    ctx.body = image.bytes;
  });

  return router;
}
