/**
 * The reference registers' files (config/reference-register.json, config/enterprise-register.json):
 * a JSON array read at start-up, each entry checked by its schema and its own rule. Any fault stops
 * start-up with one line naming the file, the entry and the field, and never echoes the file's text
 * (it may hold document numbers).
 */
import fs from 'node:fs';
import type { z } from 'zod';
import { SettingsError } from '../settings.js';

/** A register file that cannot be used: like a bad setting, it stops start-up with one line. */
export class RegisterFileError extends SettingsError {}

export interface RegisterFormat<S extends z.ZodType, T> {
  /** The setting that names the file: every message starts with it. */
  setting: string;
  /** What the array holds ("people", "units"). */
  holds: string;
  schema: S;
  /** The field whose value must not repeat. */
  keyField: string;
  /** An entry the schema passed, as stored, with its unique key; or what is wrong with it. */
  toEntry(data: z.infer<S>): { entry: T; key: string } | { fault: string };
}

export function readRegisterFile<S extends z.ZodType, T>(format: RegisterFormat<S, T>, file: string): T[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new RegisterFileError(`${format.setting}: cannot read ${file}: ${(error as Error).message}`);
  }
  let entries: unknown;
  try {
    entries = JSON.parse(text);
  } catch {
    // JSON.parse quotes the text around the mistake, which may be someone's document number.
    throw new RegisterFileError(`${format.setting}: ${file} is not valid JSON`);
  }
  return parseRegister(format, entries, `${format.setting}: ${file}`);
}

function parseRegister<S extends z.ZodType, T>(format: RegisterFormat<S, T>, entries: unknown, source: string): T[] {
  if (!Array.isArray(entries)) throw new RegisterFileError(`${source}: must be a JSON array of ${format.holds}`);
  const seen = new Set<string>();
  return entries.map((raw, index) => {
    const fail = (fault: string) => new RegisterFileError(`${source}: entry ${index}: ${fault}`);
    const parsed = format.schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw fail(`${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`);
    }
    const made = format.toEntry(parsed.data);
    if ('fault' in made) throw fail(made.fault);
    if (seen.has(made.key)) throw fail(`${format.keyField}: listed twice`);
    seen.add(made.key);
    return made.entry;
  });
}
