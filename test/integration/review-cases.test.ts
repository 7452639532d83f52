/**
 * The rules of review cases and console sessions, through the services (the pages the user sees
 * come from another branch): who may open a case, what a decision changes, how sessions expire.
 */
import { DomainError } from '../../src/errors.js';
import { OperatorSessionRepository } from '../../src/review/operator-session.repository.js';
import { OperatorSessionService } from '../../src/review/operator-session.service.js';
import { createLegalAccount, createNaturalAccount } from '../support/accounts.js';
import { createApplicant, createOperator, openCase, plainImage } from '../support/review.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('review cases and console sessions', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  const refusalOf = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => (error instanceof DomainError ? { code: error.code, status: error.status } : error),
    );

  async function storeBoth(accountId: string) {
    const { uploads } = app.context;
    const front = await uploads.store({ ownerAccountId: accountId, purpose: 'identity_document_front', bytes: await plainImage('jpeg') });
    const back = await uploads.store({ ownerAccountId: accountId, purpose: 'identity_document_back', bytes: await plainImage('png') });
    return { frontUploadId: front.id, backUploadId: back.id };
  }

  test('when a case is opened, then the account is pending_review in the same step and review.opened is audited', async () => {
    const applicant = await createApplicant(app);
    const reviewCase = await openCase(app, applicant.account.id);
    expect(reviewCase.status).toBe('pending');
    expect((await app.context.accounts.findById(applicant.account.id))!.realNameStatus).toBe('pending_review');
    const [opened] = await app.context.db('audit_events').where({ event: 'review.opened', subject_id: reviewCase.id });
    expect(opened).toMatchObject({ actor_type: 'account', actor_id: applicant.account.id });
  });

  test('when the account is verified, has a case pending, is a legal entity, or has no document on file, then opening a case is refused', async () => {
    const { reviews } = app.context;
    const actor = { type: 'account' as const };
    const verified = await createNaturalAccount(app, { realNameVerified: true });
    expect(await refusalOf(reviews.openNaturalVerificationCase({ accountId: verified.account.id, ...(await storeBoth(verified.account.id)) }, actor))).toEqual({ code: 'review.error.already_verified', status: 409 });

    const pending = await createApplicant(app);
    await openCase(app, pending.account.id);
    expect(await refusalOf(openCase(app, pending.account.id))).toEqual({ code: 'review.error.pending', status: 409 });

    const legal = await createLegalAccount(app);
    expect(await refusalOf(reviews.openNaturalVerificationCase({ accountId: legal.account.id, ...(await storeBoth(legal.account.id)) }, actor))).toEqual({ code: 'review.error.not_natural', status: 400 });

    const noDocument = await createNaturalAccount(app);
    expect(await refusalOf(openCase(app, noDocument.account.id))).toEqual({ code: 'review.error.document_missing', status: 400 });
    expect((await app.context.accounts.findById(noDocument.account.id))!.realNameStatus).toBe('unverified');
  });

  test('when the uploads belong to another account, or front and back are swapped, then opening a case is refused', async () => {
    const applicant = await createApplicant(app);
    const stranger = await createApplicant(app);
    const theirs = await storeBoth(stranger.account.id);
    const mine = await storeBoth(applicant.account.id);
    const open = (ids: { frontUploadId: string; backUploadId: string }) =>
      refusalOf(app.context.reviews.openNaturalVerificationCase({ accountId: applicant.account.id, ...ids }, { type: 'account' }));
    expect(await open(theirs)).toEqual({ code: 'review.error.upload_invalid', status: 400 });
    expect(await open({ frontUploadId: mine.backUploadId, backUploadId: mine.frontUploadId })).toEqual({ code: 'review.error.upload_invalid', status: 400 });
  });

  test('when a rejected applicant submits again, then a new case opens, and after approval latestDecisionFor gives the approval', async () => {
    const applicant = await createApplicant(app);
    const reviewer = await createOperator(app);
    const first = await openCase(app, applicant.account.id);
    await app.context.reviews.reject(first.id, '图片不清晰', { id: reviewer.id });
    expect(await app.context.reviews.latestDecisionFor(applicant.account.id)).toMatchObject({ outcome: 'rejected', reason: '图片不清晰' });
    const second = await openCase(app, applicant.account.id);
    await app.context.reviews.approve(second.id, { id: reviewer.id });
    expect(await app.context.reviews.latestDecisionFor(applicant.account.id)).toMatchObject({ caseId: second.id, outcome: 'approved' });
    expect((await app.context.accounts.findById(applicant.account.id))!.realNameStatus).toBe('reviewed');
  });

  test('when the document already verified another account, then the case page warns and approval is refused with 409 (one document, one account)', async () => {
    const first = await createApplicant(app);
    const holder = await createNaturalAccount(app, { documentNumber: first.documentNumber, realNameVerified: true });
    const reviewCase = await openCase(app, first.account.id);
    const reviewer = await createOperator(app);
    const forReview = await app.context.reviews.caseForReview(reviewCase.id, { id: reviewer.id });
    expect(forReview.duplicateHolder).toEqual({ loginName: holder.loginName });
    expect(await refusalOf(app.context.reviews.approve(reviewCase.id, { id: reviewer.id }))).toEqual({ code: 'review.error.document_already_verified', status: 409 });
    expect((await app.context.accounts.findById(first.account.id))!.realNameStatus).toBe('pending_review');
  });

  test('when a case is approved, then the document is claimed for the account (manual), so no other account verifies with it', async () => {
    const applicant = await createApplicant(app);
    const reviewer = await createOperator(app);
    const reviewCase = await openCase(app, applicant.account.id);
    await app.context.reviews.approve(reviewCase.id, { id: reviewer.id });
    expect(await app.context.db('identity_claims').where({ account_id: applicant.account.id }).first()).toMatchObject({ method: 'manual', document_type: 'resident_id' });
    const other = await createNaturalAccount(app, { name: applicant.account.natural!.name, documentNumber: applicant.documentNumber });
    expect((await app.context.verification.verifyNaturalAccount(other.account.id, { type: 'cli' })).outcome).toBe('document_taken');
  });

  test('when another account holds the document by a claim only, then approval is refused with 409 too', async () => {
    const applicant = await createApplicant(app);
    const holder = await createNaturalAccount(app);
    await app.context.db('identity_claims').insert({
      document_type: 'resident_id',
      document_number_index: app.context.crypt.blindIndex(applicant.documentNumber),
      account_id: holder.account.id,
      method: 'existing',
      verified_at: new Date(),
    });
    const reviewCase = await openCase(app, applicant.account.id);
    const reviewer = await createOperator(app);
    expect(await refusalOf(app.context.reviews.approve(reviewCase.id, { id: reviewer.id }))).toEqual({ code: 'review.error.document_already_verified', status: 409 });
    expect((await app.context.accounts.findById(applicant.account.id))!.realNameStatus).toBe('pending_review');
  });

  test('when a rejection reason is over 500 characters, then it is refused with a field message', async () => {
    const applicant = await createApplicant(app);
    const reviewer = await createOperator(app);
    const reviewCase = await openCase(app, applicant.account.id);
    await expect(app.context.reviews.reject(reviewCase.id, '字'.repeat(501), { id: reviewer.id })).rejects.toMatchObject({
      status: 400,
      fields: { reason: 'review.error.reason_too_long' },
      params: { max: 500 },
    });
  });

  describe('console sessions (injected clock)', () => {
    let now = new Date();
    const sessions = () =>
      new OperatorSessionService(new OperatorSessionRepository(app.context.db), { idleTimeoutSeconds: 30 * 60, sessionTtlSeconds: 8 * 3600 }, () => now);
    const minutes = (n: number) => new Date(now.getTime() + n * 60_000);

    test('when a session sees no request for 30 minutes, then it has ended; a request within 30 minutes keeps it alive', async () => {
      const operator = await createOperator(app);
      now = new Date();
      const service = sessions();
      const { token } = await service.start(operator.id);
      now = minutes(29);
      expect((await service.resume(token))?.operator.id).toBe(operator.id);
      now = minutes(29);
      expect(await service.resume(token)).toBeDefined();
      now = minutes(31);
      expect(await service.resume(token)).toBeUndefined();
    });

    test('when a session is 8 hours old, then it has ended however active it was', async () => {
      const operator = await createOperator(app);
      now = new Date();
      const service = sessions();
      const { token } = await service.start(operator.id);
      const start = now.getTime();
      const at = (elapsedMinutes: number) => new Date(start + elapsedMinutes * 60_000);
      // A request every 29 minutes: never idle, yet...
      for (let elapsed = 29; elapsed < 8 * 60; elapsed += 29) {
        now = at(elapsed);
        expect(await service.resume(token)).toBeDefined();
      }
      // ...past 8 hours (17 minutes after the last request) it is over.
      now = at(8 * 60 + 1);
      expect(await service.resume(token)).toBeUndefined();
    });

    test('when a session is stored, then the table holds only the hash of the cookie token', async () => {
      const operator = await createOperator(app);
      now = new Date();
      const { token, session } = await sessions().start(operator.id);
      const rows = await app.context.db('operator_sessions').where({ operator_id: operator.id }).select('id');
      expect(rows.map((r) => r.id)).toEqual([session.id]);
      expect(session.id).not.toContain(token);
      expect(session.id).toMatch(/^[0-9a-f]{64}$/);
    });
  });
});
