import crypto from 'node:crypto';
import type { Database } from '../../src/db/database.js';
import { migrateLatest } from '../../src/db/migrate.js';
import type { AppContext } from '../../src/services.js';
import * as migration from '../../migrations/20261129000800_legal_review.js';
import { uniqueName, uniqueResidentId } from '../support/identities.js';
import { unitPerson } from '../support/legal-review.js';
import { OwnDatabase, servicesOver } from '../support/own-database.js';
import { plainImage } from '../support/review.js';
import { uniqueUscc } from '../support/accounts.js';
import { STRONG_PASSWORD, unique, uniqueMobile } from '../support/test-app.js';

/** The migration runs down and up on a database of its own, so other tests' tables stay put. */
describe('the legal-review migration', () => {
  const own = new OwnDatabase();
  let database: Database;
  let services: AppContext;

  beforeAll(async () => {
    database = await own.open();
    services = servicesOver(database.db);
  });
  afterAll(() => own.close());

  const create = (extra: Record<string, unknown>) =>
    services.accountService.create(
      { kind: 'natural', loginName: unique('mig'), password: STRONG_PASSWORD, mobile: uniqueMobile(), name: uniqueName(), ...extra },
      { type: 'cli' },
    );
  const store = async (accountId: string, purpose: Parameters<AppContext['uploads']['store']>[0]['purpose']) =>
    (await services.uploads.store({ ownerAccountId: accountId, purpose, bytes: await plainImage('jpeg') })).id;

  test('when it is reverted, then natural cases keep their front and back and legal cases go; re-applied, the natural images are roles again', async () => {
    const { db } = database;
    const person = await create({ documentNumber: uniqueResidentId() });
    const front = await store(person.id, 'identity_document_front');
    const back = await store(person.id, 'identity_document_back');
    const natural = await services.reviews.openNaturalVerificationCase({ accountId: person.id, frontUploadId: front, backUploadId: back }, { type: 'cli' });

    const unit = await create({ kind: 'legal', orgName: `${uniqueName()}有限公司`, uscc: uniqueUscc(), legalRepresentative: unitPerson(), name: undefined });
    const legal = await services.reviews.openLegalVerificationCase(
      {
        accountId: unit.id,
        images: {
          business_license: await store(unit.id, 'business_license'),
          legal_representative_document: await store(unit.id, 'legal_representative_document'),
          authorization_letter: await store(unit.id, 'authorization_letter'),
        },
      },
      { type: 'cli' },
    );

    await migration.down(db);
    await db('knex_migrations').where({ name: '20261129000800_legal_review' }).delete();
    expect(await db('review_cases').where({ id: natural.id }).first('front_upload_id', 'back_upload_id')).toEqual({ front_upload_id: front, back_upload_id: back });
    expect(await db('review_cases').where({ id: legal.id }).first()).toBeUndefined();
    expect(await db('uploads').where({ owner_account_id: unit.id })).toEqual([]);
    await expect(db.raw(`insert into review_cases (id, kind, account_id, front_upload_id, back_upload_id, snapshot) values (?, 'legal_verification', ?, ?, ?, '{}')`, [crypto.randomUUID(), unit.id, front, back])).rejects.toThrow(/review_cases_kind_check/);

    expect(await migrateLatest(db)).toEqual(['20261129000800_legal_review']);
    const roles = await db('review_case_uploads').where({ case_id: natural.id }).orderBy('role').select('role', 'upload_id');
    expect(roles).toEqual([
      { role: 'identity_document_back', upload_id: back },
      { role: 'identity_document_front', upload_id: front },
    ]);
    expect((await services.reviews.caseForReview(natural.id, { id: crypto.randomUUID() })).images).toEqual({ identity_document_front: front, identity_document_back: back });
  });
});
