import crypto from 'node:crypto';
import { normalizeMobile, normalizeUscc } from '../../src/accounts/identity-documents.js';
import type { OutcomeCase } from '../../src/migration/torch/torch-lookup.rules.js';
import type { TestApp } from './test-app.js';

export interface OutcomeRow {
  kind: 'enterprise' | 'personal';
  /** The legacy login: the USCC of an enterprise, the mobile of a person. */
  legacyLogin: string;
  case: OutcomeCase;
  accountId?: string | null;
  loginName?: string | null;
  window?: 'natural' | 'legal' | null;
  reason?: string | null;
}

/**
 * One recorded import outcome as the Torch Center import writes it (torch_outcomes, in a run of its
 * own): the lookup page's input, made here without the import command.
 */
export async function insertTorchOutcome(app: TestApp, row: OutcomeRow): Promise<string> {
  const { db, crypt } = app.context;
  const runId = crypto.randomUUID();
  await db('torch_runs').insert({ id: runId, mode: 'apply', file: 'test-export.csv', status: 'completed', actor: 'test', finished_at: new Date() });
  const legacyId = `legacy_${crypto.randomBytes(6).toString('hex')}`;
  const personal = row.kind === 'personal';
  const mobile = normalizeMobile(row.legacyLogin);
  await db('torch_outcomes').insert({
    legacy_id: legacyId,
    kind: row.kind,
    legacy_login_encrypted: personal ? crypt.encrypt(mobile) : normalizeUscc(row.legacyLogin),
    legacy_login_key: personal ? crypt.blindIndex(mobile) : normalizeUscc(row.legacyLogin),
    case: row.case,
    account_id: row.accountId ?? null,
    login_name: row.loginName ?? null,
    window: row.window ?? null,
    reason: row.reason ?? null,
    run_id: runId,
  });
  return legacyId;
}
