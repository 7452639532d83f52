import type { Actor } from '../../src/accounts/account.service.js';
import { NotFoundError } from '../../src/errors.js';
import { HttpIdentityAuthority } from '../../src/verification/http.identity-authority.js';
import { createLegalAccount, createNaturalAccount, uniqueIp } from '../support/accounts.js';
import { json, type AuthorityRequest } from '../support/fake-check-server.js';
import { FakeIdentityAuthority } from '../support/fake-identity-authority.js';
import { uniqueName, uniqueResidentId } from '../support/identities.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('automatic real-name verification of natural persons', () => {
  const fake = new FakeIdentityAuthority();
  let app: TestApp;
  let now = new Date('2026-12-01T02:00:00.000Z');

  beforeAll(async () => {
    await fake.listen();
    app = await startTestApp({
      identityAuthority: new HttpIdentityAuthority({ url: fake.url, token: fake.token, timeoutMs: 2000 }),
      clock: () => now,
    });
  });
  afterAll(async () => {
    await app?.close();
    await fake.close();
  });

  const verify = (accountId: string, actor: Actor = { type: 'account', id: accountId }) =>
    app.context.verification.verifyNaturalAccount(accountId, actor);

  /** A natural account whose name and document the fake authority knows (or not). */
  async function person(options: { known?: boolean; documentNumber?: string; name?: string } = {}) {
    const name = options.name ?? uniqueName();
    const documentNumber = options.documentNumber ?? uniqueResidentId();
    if (options.known ?? true) fake.addPerson(name, 'resident_id', documentNumber);
    const { account } = await createNaturalAccount(app, { name, documentNumber });
    return { account, name, documentNumber };
  }

  const accountRow = (id: string) => app.context.db('accounts').where({ id }).first();
  const claimsOf = (id: string) => app.context.db('identity_claims').where({ account_id: id }).select();
  const auditsOf = (id: string) =>
    app.context.db('audit_events').where({ subject_id: id, event: 'verification.automatic' }).orderBy('id').select();

  test('when the authority confirms name and document, then the account is verified at the clock time and holds the document', async () => {
    const { account, documentNumber } = await person();
    now = new Date('2026-12-01T03:04:05.000Z');

    expect(await verify(account.id)).toEqual({ outcome: 'verified' });

    const reloaded = await app.context.accounts.findById(account.id);
    expect(reloaded).toMatchObject({ realNameStatus: 'verified', realNameVerifiedAt: now });
    const [claim] = await claimsOf(account.id);
    expect(claim).toMatchObject({ document_type: 'resident_id', document_number_index: app.context.crypt.blindIndex(documentNumber), method: 'automatic' });
    expect(new Date(claim.verified_at)).toEqual(now);
  });

  test('when the authority says mismatch, then the account stays unverified with no time and no claim', async () => {
    const { account } = await person({ known: false });
    expect(await verify(account.id)).toEqual({ outcome: 'mismatch' });
    expect(await accountRow(account.id)).toMatchObject({ real_name_status: 'unverified', real_name_verified_at: null });
    expect(await claimsOf(account.id)).toEqual([]);
  });

  test('when the authority is down (500), then the outcome is unavailable and nothing about the account changes', async () => {
    const { account, documentNumber } = await person();
    fake.script(documentNumber, (_request, res) => json(res, 500, { error: 'down' }));
    const before = await accountRow(account.id);

    expect(await verify(account.id)).toEqual({ outcome: 'unavailable' });

    expect(await accountRow(account.id)).toEqual(before);
    expect(await claimsOf(account.id)).toEqual([]);
    const [audit] = await auditsOf(account.id);
    expect(audit).toMatchObject({ outcome: 'failure', details: expect.objectContaining({ result: 'unavailable', reason: 'status' }) });
  });

  test('when a second account with a verified document asks, then it gets document_taken without asking the authority, and the first keeps it', async () => {
    const first = await person();
    expect(await verify(first.account.id)).toEqual({ outcome: 'verified' });
    const second = await createNaturalAccount(app, { name: first.name, documentNumber: first.documentNumber });

    expect(await verify(second.account.id)).toEqual({ outcome: 'document_taken' });

    expect(fake.requestsFor(first.documentNumber)).toHaveLength(1);
    expect(await accountRow(second.account.id)).toMatchObject({ real_name_status: 'unverified', real_name_verified_at: null });
    expect(await accountRow(first.account.id)).toMatchObject({ real_name_status: 'verified' });
    const [audit] = await auditsOf(second.account.id);
    expect(audit).toMatchObject({ outcome: 'refused', details: expect.objectContaining({ result: 'document_taken' }) });
  });

  /** Holds each authority answer for the document until `count` requests for it have arrived. */
  function answerTogether(documentNumber: string, count: number): void {
    const waiting: Array<() => void> = [];
    fake.script(documentNumber, (_request: AuthorityRequest, res) => {
      waiting.push(() => json(res, 200, { result: 'match' }));
      if (waiting.length === count) for (const answer of waiting) answer();
    });
  }

  test.each([1, 2, 3, 4, 5])(
    'when two accounts with one document are verified at the same moment (round %i), then exactly one is verified and the other gets document_taken',
    async () => {
      const first = await person();
      const second = await createNaturalAccount(app, { name: first.name, documentNumber: first.documentNumber });
      answerTogether(first.documentNumber, 2);

      const outcomes = await Promise.all([verify(first.account.id), verify(second.account.id)]);

      expect(outcomes.map((o) => o.outcome).sort()).toEqual(['document_taken', 'verified']);
      const rows = await app.context.db('accounts').whereIn('id', [first.account.id, second.account.id]).select('real_name_status');
      expect(rows.map((r) => r.real_name_status).sort()).toEqual(['unverified', 'verified']);
      const claims = await app.context.db('identity_claims').where({ document_number_index: app.context.crypt.blindIndex(first.documentNumber) });
      expect(claims).toHaveLength(1);
    },
  );

  test('when one account is verified twice at the same moment, then both answers are verified and it holds one claim', async () => {
    const { account, documentNumber } = await person();
    answerTogether(documentNumber, 2);
    const outcomes = await Promise.all([verify(account.id), verify(account.id)]);
    expect(outcomes).toEqual([{ outcome: 'verified' }, { outcome: 'verified' }]);
    expect(await claimsOf(account.id)).toHaveLength(1);
    const audits = await auditsOf(account.id);
    expect(audits.map((a) => Boolean(a.details.alreadyVerified)).sort()).toEqual([false, true]);
  });

  test('when a verified account is verified again, then it answers verified without asking the authority and keeps its time', async () => {
    const { account, documentNumber } = await person();
    await verify(account.id);
    const verifiedAt = (await accountRow(account.id)).real_name_verified_at;
    now = new Date(now.getTime() + 86_400_000);

    expect(await verify(account.id)).toEqual({ outcome: 'verified' });

    expect(fake.requestsFor(documentNumber)).toHaveLength(1);
    expect((await accountRow(account.id)).real_name_verified_at).toEqual(verifiedAt);
  });

  test('when a manually reviewed account is verified, then it stays reviewed and the authority is not asked', async () => {
    const { account, documentNumber } = await person();
    await app.context.db('accounts').where({ id: account.id }).update({ real_name_status: 'reviewed' });
    expect(await verify(account.id)).toEqual({ outcome: 'verified' });
    expect(fake.requestsFor(documentNumber)).toHaveLength(0);
    expect(await accountRow(account.id)).toMatchObject({ real_name_status: 'reviewed' });
  });

  test('when a rejected account (manual review failed) passes the authority, then it becomes verified', async () => {
    const { account } = await person();
    await app.context.db('accounts').where({ id: account.id }).update({ real_name_status: 'rejected' });
    expect(await verify(account.id)).toEqual({ outcome: 'verified' });
    expect(await accountRow(account.id)).toMatchObject({ real_name_status: 'verified' });
  });

  test('when the account has no document yet, then the outcome is incomplete and the authority is not asked', async () => {
    const requests = fake.requests.length;
    const { account } = await createNaturalAccount(app, { name: uniqueName() });
    expect(await verify(account.id)).toEqual({ outcome: 'incomplete' });
    expect(fake.requests.length).toBe(requests);
    expect(await accountRow(account.id)).toMatchObject({ real_name_status: 'unverified' });
  });

  test('when the name is changed while the authority is asked, then the old verdict is not applied and the account stays unverified', async () => {
    const { account, documentNumber } = await person();
    fake.script(documentNumber, async (_request, res) => {
      await app.context.db('natural_profiles').where({ account_id: account.id }).update({ name: uniqueName() });
      json(res, 200, { result: 'match' });
    });
    expect(await verify(account.id)).toEqual({ outcome: 'unavailable' });
    expect(await accountRow(account.id)).toMatchObject({ real_name_status: 'unverified' });
    expect(await claimsOf(account.id)).toEqual([]);
  });

  test('when an account was made verified outside this service (CLI --verified), then its document counts as taken', async () => {
    const name = uniqueName();
    const documentNumber = uniqueResidentId();
    fake.addPerson(name, 'resident_id', documentNumber);
    await createNaturalAccount(app, { name, documentNumber, realNameVerified: true });
    const other = await createNaturalAccount(app, { name, documentNumber });

    expect(await app.context.verification.documentAlreadyVerified('resident_id', documentNumber)).toBe(true);
    expect(await verify(other.account.id)).toEqual({ outcome: 'document_taken' });
  });

  test('when attempts are audited, then each has the actor, address and outcome, the number only masked and never the name', async () => {
    const ip = uniqueIp();
    const { account, name, documentNumber } = await person();
    const actor: Actor = { type: 'account', id: account.id, ip, requestId: 'req-verify-1' };
    fake.script(documentNumber, (_request, res) => json(res, 503, {}));
    await verify(account.id, actor);
    fake.script(documentNumber, (_request, res) => json(res, 200, { result: 'match' }));
    await verify(account.id, actor);

    const audits = await auditsOf(account.id);
    expect(audits.map((a) => [a.outcome, a.details.result])).toEqual([
      ['failure', 'unavailable'],
      ['success', 'verified'],
    ]);
    for (const audit of audits) {
      expect(audit).toMatchObject({ actor_type: 'account', actor_id: account.id, subject_type: 'account', ip, request_id: 'req-verify-1' });
      expect(audit.details).toMatchObject({ documentType: 'resident_id', documentNumberMasked: `${documentNumber.slice(0, 3)}***********${documentNumber.slice(-4)}` });
      expect(JSON.stringify(audit)).not.toContain(documentNumber);
      expect(JSON.stringify(audit)).not.toContain(name);
    }
  });

  test('when registration asks whether a document already verifies an account, then only a verified one counts, in any spelling of the number', async () => {
    const { account, documentNumber } = await person();
    const check = (type: 'resident_id', number: string) => app.context.verification.documentAlreadyVerified(type, number);
    expect(await check('resident_id', documentNumber)).toBe(false);

    await verify(account.id);

    expect(await check('resident_id', documentNumber)).toBe(true);
    expect(await check('resident_id', ` ${documentNumber.toLowerCase()} `)).toBe(true);
    expect(await check('resident_id', uniqueResidentId())).toBe(false);
    expect(await check('resident_id', '110105194912310021')).toBe(false);
  });

  test('when the account does not exist or is a legal account, then verification refuses with NotFoundError', async () => {
    const legal = await createLegalAccount(app);
    await expect(verify('00000000-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(NotFoundError);
    await expect(verify('not-an-id')).rejects.toBeInstanceOf(NotFoundError);
    await expect(verify(legal.account.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});
