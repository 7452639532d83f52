import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { AuditService } from '../audit/audit.service.js';
import { DomainError, NotFoundError } from '../errors.js';
import type { TorchReportService } from '../migration/torch/torch-report.service.js';
import type { Operator } from './operator.repository.js';

/** What the console (console.routes.ts) lends its migration pages: its guard, its page frame, the operator. */
export interface MigrationConsoleDeps {
  reports: TorchReportService;
  audit: AuditService;
  requireOperator: (ctx: Context, next: Next) => Promise<unknown>;
  render: (ctx: Context, template: string, data: Record<string, unknown>, status?: number) => void;
  operatorOf: (ctx: Context) => Operator;
}

export const RUNS_PER_PAGE = 20;
export const CONFLICTS_PER_PAGE = 50;

/**
 * The figures the console names: the import's own (RunCounts, its cases under `cases.`) and SPEC
 * §8's cases; any other figure is shown under its own key.
 */
const NAMED_FIGURES = new Set([
  'E1', 'E2', 'E3', 'E4', 'P1', 'P2', 'P3', 'P4', 'conflict', 'malformed', 'total',
  'records', 'decided', 'alreadyDecided', 'accountsCreated', 'batches',
]);

/** The reasons the import records (torch.rules.ts ConflictReason, legacy-record.ts MalformedReason), in the page's words. */
const NAMED_REASONS = new Set([
  'uscc_check_character', 'hj_name_taken', 'mobile_missing', 'name_missing', 'bad_json', 'not_an_object', 'missing_legacy_id',
  'unknown_kind', 'missing_login_name', 'bad_mobile', 'bad_email', 'missing_org_name', 'missing_name', 'password_scheme',
  'password_hash', 'password_salt', 'password_iterations',
]);

/** A run's recorded figures as rows: nested ones under dotted keys (`cases.E1`); anything not a number is not a figure. */
function figures(value: unknown, prefix = ''): Array<[string, number]> {
  if (typeof value === 'number') return [[prefix, value]];
  if (!value || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([key, inner]) => figures(inner, prefix ? `${prefix}.${key}` : key));
}

/** `?page=` as a page number from 1; anything else is the first page. */
function pageOf(ctx: Context): number {
  const raw = typeof ctx.query.page === 'string' ? ctx.query.page : '';
  return /^[1-9]\d{0,5}$/.test(raw) ? Number(raw) : 1;
}

/** What a pager needs: this page, the last one, and the rows shown. */
function pager(page: number, total: number, perPage: number) {
  const last = Math.max(1, Math.ceil(total / perPage));
  return { page, last, total, from: total === 0 ? 0 : (page - 1) * perPage + 1, to: Math.min(total, page * perPage) };
}

/**
 * Migration reports in the console (SPEC §8, §10): the Torch Center import's runs and, for a run,
 * the records it could not place with their reasons. Administrators only: a reviewer is refused
 * (403). Every view, and every refusal, is in the audit log.
 */
export function migrationConsoleRoutes(router: Router, deps: MigrationConsoleDeps): void {
  const { reports, audit, requireOperator, render, operatorOf } = deps;

  const viewed = (ctx: Context, outcome: 'success' | 'refused', details: Record<string, unknown>) =>
    audit.record({
      event: 'console.migration_report_viewed',
      outcome,
      actor: { type: 'operator', id: operatorOf(ctx).id },
      subject: details.runId ? { type: 'torch_run', id: String(details.runId) } : undefined,
      ip: ctx.ip,
      requestId: ctx.state.requestId,
      details,
    });

  async function requireAdmin(ctx: Context, next: Next) {
    const operator = operatorOf(ctx);
    if (operator.role !== 'admin') {
      await viewed(ctx, 'refused', { path: ctx.path, role: operator.role });
      throw new DomainError('torch_console.error.admin_only', 403);
    }
    return next();
  }

  const figureLabel = (key: string) => {
    const name = key.replace(/^cases\./, '');
    return NAMED_FIGURES.has(name) ? `torch_console.figure.${name}` : undefined;
  };
  const reasonLabel = (reason: string | null) => (reason && NAMED_REASONS.has(reason) ? `torch_console.reason.${reason}` : undefined);

  router.get('/migration', requireOperator, requireAdmin, async (ctx) => {
    const page = pageOf(ctx);
    const { items, total } = await reports.runs((page - 1) * RUNS_PER_PAGE, RUNS_PER_PAGE);
    if (page > 1 && items.length === 0) throw new NotFoundError();
    await viewed(ctx, 'success', { view: 'runs', page });
    render(ctx, 'console/migration-runs', { runs: items, pager: pager(page, total, RUNS_PER_PAGE), figures, figureLabel });
  });

  router.get('/migration/runs/:id', requireOperator, requireAdmin, async (ctx) => {
    const run = await reports.run(ctx.params.id!);
    if (!run) throw new NotFoundError();
    const page = pageOf(ctx);
    const { items, total } = await reports.conflicts(run.id, (page - 1) * CONFLICTS_PER_PAGE, CONFLICTS_PER_PAGE);
    if (page > 1 && items.length === 0) throw new NotFoundError();
    await viewed(ctx, 'success', { view: 'run', runId: run.id, page });
    render(ctx, 'console/migration-run', { run, conflicts: items, pager: pager(page, total, CONFLICTS_PER_PAGE), figures, figureLabel, reasonLabel });
  });
}
