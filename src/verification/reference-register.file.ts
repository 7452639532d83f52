/**
 * The reference register file (REFERENCE_REGISTER_FILE, default config/reference-register.json):
 * a JSON array of {"name", "document_type", "document_number"}. It is loaded into the
 * reference_register_people table at start-up and by `db migrate`; only the keyed blind index of
 * each number is stored, so the table leaks no number even if the file is later removed.
 */
import { z } from 'zod';
import { DOCUMENT_TYPES_BY_IDENTITY, validateDocumentNumber, type DocumentType } from '../accounts/identity-documents.js';
import type { Settings } from '../settings.js';
import { readRegisterFile, RegisterFileError, type RegisterFormat } from './register-file.js';
import type { ReferenceRegisterRepository, RegisterPerson } from './reference-register.repository.js';

export { RegisterFileError as ReferenceRegisterFileError };

const DOCUMENT_TYPES = Object.values(DOCUMENT_TYPES_BY_IDENTITY).flat() as [DocumentType, ...DocumentType[]];

const entrySchema = z
  .object({
    name: z.string().trim().min(1, 'must not be empty'),
    document_type: z.enum(DOCUMENT_TYPES, { error: `must be one of ${DOCUMENT_TYPES.join(', ')}` }),
    document_number: z.string(),
  })
  .strict();

/** People, numbers normalised; a fault names the entry and field but never echoes a number. */
const REFERENCE_REGISTER: RegisterFormat<typeof entrySchema, RegisterPerson> = {
  setting: 'REFERENCE_REGISTER_FILE',
  holds: 'people',
  schema: entrySchema,
  keyField: 'document_number',
  toEntry({ name, document_type: documentType, document_number: number }) {
    const checked = validateDocumentNumber(documentType, number);
    if (!checked.ok) return { fault: `document_number: not a valid ${documentType} number (${checked.reason})` };
    return { key: `${documentType}:${checked.normalized}`, entry: { name, documentType, documentNumber: checked.normalized } };
  },
};

export const readReferenceRegisterFile = (file: string): RegisterPerson[] => readRegisterFile(REFERENCE_REGISTER, file);

/** Loads the register file when the reference register is the authority; returns how many people. */
export async function loadReferenceRegister(settings: Settings, register: ReferenceRegisterRepository): Promise<number> {
  if (settings.identityAuthority.kind !== 'reference') return 0;
  const people = readReferenceRegisterFile(settings.identityAuthority.registerFile);
  await register.upsert(people);
  return people.length;
}
