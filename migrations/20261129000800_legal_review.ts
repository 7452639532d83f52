import type { Knex } from 'knex';

const NATURAL_PURPOSES = ['identity_document_front', 'identity_document_back'];
const LEGAL_PURPOSES = ['business_license', 'legal_representative_document', 'authorization_letter'];

const list = (values: string[]) => values.map((value) => `'${value}'`).join(', ');

/**
 * Manual review for legal entities (SPEC §4): three images instead of two. A case's images move
 * from review_cases.front_upload_id / back_upload_id to review_case_uploads, one row per image with
 * its role in the case, so each kind of case names its own images (front and back; business
 * licence, representative's document, authorization letter) and the primary key allows one image
 * per role.
 */
export async function up(db: Knex): Promise<void> {
  await db.raw('alter table uploads drop constraint uploads_purpose_check');
  await db.raw(`alter table uploads add constraint uploads_purpose_check check (purpose in (${list([...NATURAL_PURPOSES, ...LEGAL_PURPOSES])}))`);

  await db.raw('alter table review_cases drop constraint review_cases_kind_check');
  await db.raw(`alter table review_cases add constraint review_cases_kind_check check (kind in ('natural_verification', 'legal_verification'))`);

  await db.schema.createTable('review_case_uploads', (t) => {
    t.uuid('case_id').notNullable().references('review_cases.id').onDelete('cascade');
    t.text('role').notNullable();
    // An image belongs to one case: a second case needs its own upload.
    t.uuid('upload_id').notNullable().unique().references('uploads.id');
    t.primary(['case_id', 'role']);
  });
  await db.raw(
    `alter table review_case_uploads add constraint review_case_uploads_role_check check (role in (${list([...NATURAL_PURPOSES, ...LEGAL_PURPOSES])}))`,
  );
  await db.raw(`
    insert into review_case_uploads (case_id, role, upload_id)
    select id, 'identity_document_front', front_upload_id from review_cases
    union all
    select id, 'identity_document_back', back_upload_id from review_cases`);
  await db.schema.alterTable('review_cases', (t) => {
    t.dropColumn('front_upload_id');
    t.dropColumn('back_upload_id');
  });
}

/** Legal cases cannot be told in the old columns: reverting drops them and their images. */
export async function down(db: Knex): Promise<void> {
  const legalCases = db('review_cases').where({ kind: 'legal_verification' }).select('id');
  const legalUploads = await db('review_case_uploads').whereIn('case_id', legalCases).pluck('upload_id');
  await db('review_cases').whereIn('id', legalCases).delete();
  await db('uploads').whereIn('id', legalUploads).orWhereIn('purpose', LEGAL_PURPOSES).delete();

  await db.schema.alterTable('review_cases', (t) => {
    t.uuid('front_upload_id').references('uploads.id');
    t.uuid('back_upload_id').references('uploads.id');
  });
  await db.raw(`
    update review_cases c set
      front_upload_id = (select upload_id from review_case_uploads u where u.case_id = c.id and u.role = 'identity_document_front'),
      back_upload_id = (select upload_id from review_case_uploads u where u.case_id = c.id and u.role = 'identity_document_back')`);
  await db.raw('alter table review_cases alter column front_upload_id set not null, alter column back_upload_id set not null');
  await db.schema.dropTable('review_case_uploads');

  await db.raw('alter table review_cases drop constraint review_cases_kind_check');
  await db.raw(`alter table review_cases add constraint review_cases_kind_check check (kind in ('natural_verification'))`);
  await db.raw('alter table uploads drop constraint uploads_purpose_check');
  await db.raw(`alter table uploads add constraint uploads_purpose_check check (purpose in (${list(NATURAL_PURPOSES)}))`);
}
