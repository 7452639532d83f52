/** `torch import` and `torch report`: the Torch Center migration as operators run it (SPEC §8). */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { AuditService } from '../audit/audit.service.js';
import { EntityAuthorizationRepository } from '../authorization/entity-authorization.repository.js';
import type { Db } from '../db/database.js';
import { createLogger } from '../logger.js';
import { OUTCOME_CASES, TorchImportService, type RunCounts } from '../migration/torch/torch-import.service.js';
import { TorchReportService } from '../migration/torch/torch-report.service.js';
import { loadDataKey } from '../security/data-key.js';
import { PiiCrypto } from '../security/pii-crypto.js';
import type { Settings } from '../settings.js';
import { lineWriter } from './line-writer.js';
import { UsageError } from './usage-error.js';

export interface TorchContext {
  torchImport: TorchImportService;
  torchReport: TorchReportService;
}

/**
 * Only what the migration needs, not the whole application (src/services.ts): the import's
 * memory is measured, and the rest would add some 40 MB of modules it never calls.
 */
export function torchServices(settings: Settings, db: Db): TorchContext {
  const crypt = new PiiCrypto(loadDataKey(settings.piiKey, settings.dataDir));
  const audit = new AuditService(db, createLogger('warn'));
  return {
    torchImport: new TorchImportService(db, crypt, audit, new EntityAuthorizationRepository(db), settings.torch.authorizedSystems),
    torchReport: new TorchReportService(db, crypt),
  };
}

const operator = () => process.env.USER ?? 'operator';

function caseLine(cases: Partial<Record<string, number>>): string {
  return OUTCOME_CASES.map((c) => `${c} ${cases[c] ?? 0}`).join('  ');
}

function countsLines(counts: Partial<RunCounts>): string[] {
  return [
    `records ${counts.records ?? 0}, malformed ${counts.malformed ?? 0}, decided ${counts.decided ?? 0}, ` +
      `already decided ${counts.alreadyDecided ?? 0}, accounts created ${counts.accountsCreated ?? 0}`,
    caseLine(counts.cases ?? {}),
  ];
}

export async function torchImport(services: TorchContext, argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { 'dry-run': { type: 'boolean' }, batch: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new UsageError('give one export file: torch import FILE');
  const file = positionals[0]!;
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new UsageError(`no such file: ${file}`);
  const batchSize = values.batch === undefined ? undefined : Number(values.batch);
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 50_000)) {
    throw new UsageError('--batch must be a whole number from 1 to 50000');
  }
  const mode = values['dry-run'] ? 'dry_run' : 'apply';
  console.log(`torch import ${mode === 'dry_run' ? '(dry run: nothing is changed)' : '(apply)'}: ${file}`);

  const listing = lineWriter();
  const { runId, counts } = await services.torchImport
    .run({
      file,
      mode,
      batchSize,
      actor: operator(),
      listener: {
        malformed: (record) => listing.line(`malformed  line ${record.line}  ${record.reason}`),
        conflict: (outcome) => listing.line(`conflict   line ${outcome.line}  legacy_id ${outcome.legacyId}  ${outcome.reason}`),
      },
    })
    .finally(listing.flush);
  console.log(`run ${runId} ${mode === 'dry_run' ? 'dry run' : 'applied'}`);
  for (const line of countsLines(counts)) console.log(line);
}

export async function torchReport(services: TorchContext, argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, run: { type: 'string' } }, strict: true });
  const report = services.torchReport;
  if (values.json) {
    const out = lineWriter();
    for await (const outcome of report.allOutcomes()) {
      out.line(
        JSON.stringify({
          legacy_id: outcome.legacyId,
          kind: outcome.kind,
          legacy_login: outcome.legacyLogin,
          case: outcome.case,
          login_name: outcome.loginName,
          window: outcome.window,
          reason: outcome.reason,
        }),
      );
    }
    out.flush();
    return;
  }
  // --run ID: a given run's summary (the output of `torch import` names it), else the newest.
  const run = values.run === undefined ? await report.latestRun() : await report.run(values.run);
  if (!run) {
    if (values.run !== undefined) throw new UsageError(`no torch run ${values.run}`);
    console.log('no torch import has run yet');
    return;
  }
  console.log(
    `${values.run ? 'run' : 'latest run'} ${run.id}: ${run.mode === 'dry_run' ? 'dry run' : 'apply'} ${run.status}, ${run.file}, ` +
      `by ${run.actor}, ${run.startedAt.toISOString()} – ${run.finishedAt?.toISOString() ?? 'unfinished'}`,
  );
  for (const line of countsLines(run.counts)) console.log(`  ${line}`);
  console.log(`outcomes recorded: ${caseLine(await report.caseCounts())}`);
  console.log('conflicts:');
  const out = lineWriter();
  for await (const outcome of report.allOutcomes({ case: 'conflict' })) {
    out.line(`  legacy_id ${outcome.legacyId}  ${outcome.kind ?? '-'}  line ${outcome.line}  ${outcome.reason}`);
  }
  out.flush();
}
