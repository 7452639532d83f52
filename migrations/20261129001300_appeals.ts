import type { Knex } from 'knex';

const VERIFICATION_KINDS = ['natural_verification', 'legal_verification'];
const APPEAL_KINDS = ['natural_appeal', 'legal_appeal'];

const list = (values: string[]) => values.map((value) => `'${value}'`).join(', ');

/**
 * Appeals (申诉找回密码, SPEC §7): review cases of their own kinds, filed by someone who cannot sign
 * in. An appeal belongs to no account when it is filed (it may match none, or several), so
 * review_cases.account_id is null for appeals and required for verifications (whose queries by
 * account thus never meet an appeal); the appeal's own row keeps its case number, the applicant's
 * data encrypted, and the account the approval chose. Its images are uploads of no account.
 */
export async function up(db: Knex): Promise<void> {
  await db.raw('alter table uploads alter column owner_account_id drop not null');

  await db.raw('alter table review_cases drop constraint review_cases_kind_check');
  await db.raw(`alter table review_cases add constraint review_cases_kind_check check (kind in (${list([...VERIFICATION_KINDS, ...APPEAL_KINDS])}))`);
  await db.raw('alter table review_cases alter column account_id drop not null');
  await db.raw(
    `alter table review_cases add constraint review_cases_account_check
     check ((kind in (${list(VERIFICATION_KINDS)})) = (account_id is not null))`,
  );

  await db.schema.createTable('appeals', (t) => {
    t.uuid('case_id').primary().references('review_cases.id').onDelete('cascade');
    // What the applicant quotes on the status page: SS + Beijing date + 6 random digits.
    t.text('case_number').notNullable().unique();
    // Everything the applicant typed (name, document, mobile, e-mail, reason...), as encrypted JSON:
    // matches are looked up from it when a reviewer opens the case, never when it is filed.
    t.text('applicant_encrypted').notNullable();
    // Set by an approval: the account that got the one-time credential.
    t.uuid('account_id').references('accounts.id').onDelete('set null');
    // Legal approvals: whether the main agent and reserved mobile were replaced with the appeal's.
    t.boolean('replaced_contact');
  });
}

/** Appeals cannot be told in the old schema: reverting drops them and their images. */
export async function down(db: Knex): Promise<void> {
  const appealCases = db('review_cases').whereIn('kind', APPEAL_KINDS).select('id');
  const appealUploads = await db('review_case_uploads').whereIn('case_id', appealCases).pluck('upload_id');
  await db('review_cases').whereIn('kind', APPEAL_KINDS).delete();
  await db('uploads').whereIn('id', appealUploads).orWhereNull('owner_account_id').delete();
  await db.schema.dropTable('appeals');

  await db.raw('alter table review_cases drop constraint review_cases_account_check');
  await db.raw('alter table review_cases alter column account_id set not null');
  await db.raw('alter table review_cases drop constraint review_cases_kind_check');
  await db.raw(`alter table review_cases add constraint review_cases_kind_check check (kind in (${list(VERIFICATION_KINDS)}))`);
  await db.raw('alter table uploads alter column owner_account_id set not null');
}
