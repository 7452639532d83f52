import type { Knex } from 'knex';

/**
 * 授权代办 (SPEC §5): a legal account confirms an authorization with a code sent to its reserved
 * mobile, under an SMS purpose of its own ('authorize'), so a code sent for anything else never
 * confirms an authorization.
 *
 * The purposes are read from the constraint as it stands rather than written out here: other
 * migrations add purposes of their own, and whichever order they run in, none may drop another's.
 */
const PURPOSE = 'authorize';

async function currentPurposes(db: Knex): Promise<string[]> {
  const { rows } = await db.raw(`select pg_get_constraintdef(oid) as definition from pg_constraint where conname = 'sms_codes_purpose_check'`);
  const definition = (rows[0] as { definition: string } | undefined)?.definition;
  if (!definition) throw new Error('sms_codes_purpose_check not found');
  return [...definition.matchAll(/'([a-z_]+)'/g)].map((match) => match[1]!);
}

async function replacePurposes(db: Knex, purposes: string[]): Promise<void> {
  await db.raw('alter table sms_codes drop constraint sms_codes_purpose_check');
  // DDL takes no bind parameters; the names are [a-z_] only (currentPurposes reads nothing else).
  await db.raw(`alter table sms_codes add constraint sms_codes_purpose_check check (purpose in (${purposes.map((p) => `'${p}'`).join(', ')}))`);
}

export async function up(db: Knex): Promise<void> {
  const purposes = await currentPurposes(db);
  if (!purposes.includes(PURPOSE)) await replacePurposes(db, [...purposes, PURPOSE]);
}

export async function down(db: Knex): Promise<void> {
  await db('sms_codes').where({ purpose: PURPOSE }).delete();
  await replacePurposes(db, (await currentPurposes(db)).filter((purpose) => purpose !== PURPOSE));
}
