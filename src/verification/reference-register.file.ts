/**
 * The reference register file (REFERENCE_REGISTER_FILE, default config/reference-register.json):
 * a JSON array of {"name", "document_type", "document_number"}. It is loaded into the
 * reference_register_people table at start-up and by `db migrate`; only the keyed blind index of
 * each number is stored, so the table leaks no number even if the file is later removed.
 */
import fs from 'node:fs';
import { z } from 'zod';
import { DOCUMENT_TYPES_BY_IDENTITY, validateDocumentNumber, type DocumentType } from '../accounts/identity-documents.js';
import { SettingsError, type Settings } from '../settings.js';
import type { ReferenceRegisterRepository, RegisterPerson } from './reference-register.repository.js';

/** The file cannot be used; like a bad setting, it stops start-up with one line. */
export class ReferenceRegisterFileError extends SettingsError {}

const DOCUMENT_TYPES = Object.values(DOCUMENT_TYPES_BY_IDENTITY).flat() as [DocumentType, ...DocumentType[]];

const entrySchema = z
  .object({
    name: z.string().trim().min(1, 'must not be empty'),
    document_type: z.enum(DOCUMENT_TYPES, { error: `must be one of ${DOCUMENT_TYPES.join(', ')}` }),
    document_number: z.string(),
  })
  .strict();

/** Validated people, numbers normalised; errors name the entry and field but never echo a number. */
export function parseReferenceRegister(entries: unknown, source: string): RegisterPerson[] {
  if (!Array.isArray(entries)) throw new ReferenceRegisterFileError(`${source}: must be a JSON array of people`);
  const seen = new Set<string>();
  return entries.map((entry, index) => {
    const parsed = entrySchema.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.length ? `${issue.path.join('.')}: ` : '';
      throw new ReferenceRegisterFileError(`${source}: entry ${index}: ${field}${issue.message}`);
    }
    const { name, document_type: documentType, document_number: number } = parsed.data;
    const checked = validateDocumentNumber(documentType, number);
    if (!checked.ok) {
      throw new ReferenceRegisterFileError(`${source}: entry ${index}: document_number: not a valid ${documentType} number (${checked.reason})`);
    }
    const key = `${documentType}:${checked.normalized}`;
    if (seen.has(key)) throw new ReferenceRegisterFileError(`${source}: entry ${index}: document_number: listed twice`);
    seen.add(key);
    return { name, documentType, documentNumber: checked.normalized };
  });
}

export function readReferenceRegisterFile(file: string): RegisterPerson[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ReferenceRegisterFileError(`REFERENCE_REGISTER_FILE: cannot read ${file}: ${(error as Error).message}`);
  }
  let entries: unknown;
  try {
    entries = JSON.parse(text);
  } catch {
    // JSON.parse quotes the text around the mistake, which may be someone's document number.
    throw new ReferenceRegisterFileError(`REFERENCE_REGISTER_FILE: ${file} is not valid JSON`);
  }
  return parseReferenceRegister(entries, `REFERENCE_REGISTER_FILE: ${file}`);
}

/** Loads the register file when the reference register is the authority; returns how many people. */
export async function loadReferenceRegister(settings: Settings, register: ReferenceRegisterRepository): Promise<number> {
  if (settings.identityAuthority.kind !== 'reference') return 0;
  const people = readReferenceRegisterFile(settings.identityAuthority.registerFile);
  await register.upsert(people);
  return people.length;
}
