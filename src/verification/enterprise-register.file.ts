/**
 * The enterprise reference register file (ENTERPRISE_REGISTER_FILE, default
 * config/enterprise-register.json): a JSON array of {"uscc", "org_name", "legal_representative"},
 * loaded into reference_register_entities at start-up and by `db migrate` when
 * ENTERPRISE_REGISTRY=reference. Registry data about units is public; it is stored as written.
 */
import { z } from 'zod';
import { validateUscc } from '../accounts/identity-documents.js';
import type { Settings } from '../settings.js';
import type { ReferenceEntityRepository, RegisterEntity } from './reference-entity.repository.js';
import { readRegisterFile, type RegisterFormat } from './register-file.js';

const entrySchema = z
  .object({
    uscc: z.string(),
    org_name: z.string().trim().min(1, 'must not be empty'),
    legal_representative: z.string().trim().min(1, 'must not be empty'),
  })
  .strict();

const ENTERPRISE_REGISTER: RegisterFormat<typeof entrySchema, RegisterEntity> = {
  setting: 'ENTERPRISE_REGISTER_FILE',
  holds: 'units',
  schema: entrySchema,
  keyField: 'uscc',
  toEntry(data) {
    const checked = validateUscc(data.uscc);
    if (!checked.ok) return { fault: `uscc: not a valid USCC (${checked.reason})` };
    return { key: checked.normalized, entry: { uscc: checked.normalized, orgName: data.org_name, legalRepresentativeName: data.legal_representative } };
  },
};

export const readEnterpriseRegisterFile = (file: string): RegisterEntity[] => readRegisterFile(ENTERPRISE_REGISTER, file);

/** Loads the register file when the reference register is the registry; returns how many units. */
export async function loadEnterpriseRegister(settings: Settings, register: ReferenceEntityRepository): Promise<number> {
  if (settings.enterpriseRegistry.kind !== 'reference') return 0;
  const entities = readEnterpriseRegisterFile(settings.enterpriseRegistry.registerFile);
  await register.upsert(entities);
  return entities.length;
}
