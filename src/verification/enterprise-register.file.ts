/**
 * The enterprise reference register file (ENTERPRISE_REGISTER_FILE, default
 * config/enterprise-register.json): a JSON array of {"uscc", "org_name", "legal_representative"},
 * loaded into reference_register_entities at start-up and by `db migrate` when
 * ENTERPRISE_REGISTRY=reference. Registry data about units is public; it is stored as written.
 */
import fs from 'node:fs';
import { z } from 'zod';
import { validateUscc } from '../accounts/identity-documents.js';
import { SettingsError, type Settings } from '../settings.js';
import type { ReferenceEntityRepository, RegisterEntity } from './reference-entity.repository.js';

export class EnterpriseRegisterFileError extends SettingsError {}

const entrySchema = z
  .object({
    uscc: z.string(),
    org_name: z.string().trim().min(1, 'must not be empty'),
    legal_representative: z.string().trim().min(1, 'must not be empty'),
  })
  .strict();

export function parseEnterpriseRegister(entries: unknown, source: string): RegisterEntity[] {
  if (!Array.isArray(entries)) throw new EnterpriseRegisterFileError(`${source}: must be a JSON array of units`);
  const seen = new Set<string>();
  return entries.map((entry, index) => {
    const parsed = entrySchema.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.length ? `${issue.path.join('.')}: ` : '';
      throw new EnterpriseRegisterFileError(`${source}: entry ${index}: ${field}${issue.message}`);
    }
    const checked = validateUscc(parsed.data.uscc);
    if (!checked.ok) throw new EnterpriseRegisterFileError(`${source}: entry ${index}: uscc: not a valid USCC (${checked.reason})`);
    if (seen.has(checked.normalized)) throw new EnterpriseRegisterFileError(`${source}: entry ${index}: uscc: listed twice`);
    seen.add(checked.normalized);
    return { uscc: checked.normalized, orgName: parsed.data.org_name, legalRepresentativeName: parsed.data.legal_representative };
  });
}

export function readEnterpriseRegisterFile(file: string): RegisterEntity[] {
  let entries: unknown;
  try {
    entries = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new EnterpriseRegisterFileError(`ENTERPRISE_REGISTER_FILE: cannot read ${file}: ${(error as Error).message}`);
  }
  return parseEnterpriseRegister(entries, `ENTERPRISE_REGISTER_FILE: ${file}`);
}

/** Loads the register file when the reference register is the registry; returns how many units. */
export async function loadEnterpriseRegister(settings: Settings, register: ReferenceEntityRepository): Promise<number> {
  if (settings.enterpriseRegistry.kind !== 'reference') return 0;
  const entities = readEnterpriseRegisterFile(settings.enterpriseRegistry.registerFile);
  await register.upsert(entities);
  return entities.length;
}
