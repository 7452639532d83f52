/**
 * Manual review for legal entities (SPEC §4, §10): 上传法人信息 on My Information (three images,
 * content-checked and size-limited before storage), the case it opens, and the console's queue,
 * case page, approval (the USCC claimed; refused when another account holds it) and rejection.
 */
import crypto from 'node:crypto';
import { createNaturalAccount, credentials, uniqueIp } from '../support/accounts.js';
import { uniqueResidentId } from '../support/identities.js';
import { createUnit, openLegalCase, type CreatedUnit } from '../support/legal-review.js';
import { consoleSignIn, createOperator, plainImage } from '../support/review.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { alertText, hiddenInput, UserAgent } from '../support/user-agent.js';

const MB = 1024 * 1024;

describe('manual review for legal entities', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ env: { ADDRESS_LOGIN_FAILURES: '100000', TRUST_PROXY: 'true' } });
  });
  afterAll(async () => {
    await app?.close();
  });

  async function signedIn(user: { loginName: string; password: string; window: 'natural' | 'legal' }) {
    const agent = new UserAgent({ 'x-forwarded-for': uniqueIp() });
    const login = await agent.follow(`${app.url}/portal/login?login_type=${user.window}`);
    const me = await agent.submit(`${login.url.split('?')[0]}/login`, { csrf: hiddenInput(login.body, 'csrf')!, ...credentials(user as CreatedUnit) });
    return { agent, page: me.body };
  }

  type Part = { bytes: Buffer; filename: string };
  type Files = Partial<Record<'businessLicense' | 'representativeDocument' | 'authorizationLetter', Part>>;

  async function upload(agent: UserAgent, files: Files) {
    const page = await agent.request(`${app.url}/portal/me`);
    const form = new FormData();
    form.set('csrf', hiddenInput(page.body, 'csrf')!);
    for (const [field, part] of Object.entries(files)) form.set(field, new Blob([part.bytes]), part.filename);
    return agent.request(`${app.url}/portal/me/legal/upload`, { multipart: form });
  }

  const jpeg = async (filename = 'licence.jpg'): Promise<Part> => ({ bytes: await plainImage('jpeg'), filename });
  const png = async (filename = 'document.png'): Promise<Part> => ({ bytes: await plainImage('png'), filename });
  const allThree = async (): Promise<Files> => ({ businessLicense: await jpeg(), representativeDocument: await png(), authorizationLetter: await jpeg('letter.jpeg') });

  const uploadsOf = (accountId: string) => app.context.db('uploads').where({ owner_account_id: accountId }).select('id', 'purpose', 'media_type', 'ciphertext');
  const casesOf = (accountId: string) => app.context.db('review_cases').where({ account_id: accountId }).select();
  const statusOf = async (accountId: string) => (await app.context.accounts.findById(accountId))!.realNameStatus;
  const auditFor = (subjectId: string, event: string) => app.context.db('audit_events').where({ subject_id: subjectId, event }).select();

  describe('上传法人信息', () => {
    test('when a unit uploads the three images, then they are stored encrypted with their roles, a legal case opens with the unit masked, and the unit is pending review', async () => {
      const unit = await createUnit(app);
      const { agent, page } = await signedIn(unit);
      expect(page).toContain('上传法人信息（人工认证）');
      const response = await upload(agent, await allThree());
      expect(response.status).toBe(302);
      expect(response.location).toBe(`${app.url}/portal/me?legal_saved=upload`);

      const stored = await uploadsOf(unit.account.id);
      expect(stored.map((u) => [u.purpose, u.media_type]).sort()).toEqual([
        ['authorization_letter', 'image/jpeg'],
        ['business_license', 'image/jpeg'],
        ['legal_representative_document', 'image/png'],
      ]);
      for (const u of stored) expect(u.ciphertext.subarray(0, 3)).not.toEqual(Buffer.from([0xff, 0xd8, 0xff]));

      const [reviewCase] = await casesOf(unit.account.id);
      expect(reviewCase).toMatchObject({ kind: 'legal_verification', status: 'pending' });
      expect(reviewCase.snapshot).toEqual({
        orgName: unit.account.legal!.orgName,
        registrationRegion: 'domestic',
        orgType: 'enterprise',
        uscc: unit.account.legal!.uscc,
        registrationNumber: null,
        legalRepresentative: {
          name: unit.rep.name, identityType: 'mainland', documentType: 'resident_id',
          documentNumberMasked: `${unit.rep.documentNumber.slice(0, 3)}***********${unit.rep.documentNumber.slice(-4)}`,
          mobileMasked: `${unit.rep.mobile.slice(0, 3)}****${unit.rep.mobile.slice(-4)}`,
        },
        mainAgent: expect.objectContaining({ name: unit.agent.name, mobileMasked: `${unit.agent.mobile.slice(0, 3)}****${unit.agent.mobile.slice(-4)}` }),
      });
      expect(JSON.stringify(reviewCase.snapshot)).not.toContain(unit.rep.documentNumber);
      const roles = await app.context.db('review_case_uploads').where({ case_id: reviewCase.id }).select('role', 'upload_id');
      expect(Object.fromEntries(roles.map((r) => [r.role, r.upload_id]))).toEqual(Object.fromEntries(stored.map((u) => [u.purpose, u.id])));
      expect(await statusOf(unit.account.id)).toBe('pending_review');
      const [opened] = await auditFor(reviewCase.id, 'review.opened');
      expect(opened).toMatchObject({ actor_type: 'account', actor_id: unit.account.id, details: { accountId: unit.account.id, kind: 'legal_verification' } });

      const after = await agent.request(response.location!);
      expect(after.body).toContain('审核中');
      expect(after.body).toContain('材料已提交，实名认证状态为“审核中”');
      expect(after.body).toContain('法人信息已提交人工审核，请耐心等待审核结果。');
      expect(after.body).not.toContain('action="/portal/me/legal/upload"');
      expect(after.body).not.toContain('id="orgName"');
    });

    test('when a text file is named .jpg, then it is refused by its content (415) with a message on its field, and nothing is stored', async () => {
      const unit = await createUnit(app);
      const { agent } = await signedIn(unit);
      const files = await allThree();
      const response = await upload(agent, { ...files, authorizationLetter: { bytes: Buffer.from('这不是图片 / not an image\n'.repeat(20)), filename: 'letter.jpg' } });
      expect(response.status).toBe(415);
      expect(response.body).toMatch(/id="authorizationLetter-error">只能上传 jpg、jpeg 或 png 格式的图片/);
      expect(response.body).toMatch(/id="upload-authorizationLetter"[^>]*aria-invalid="true"/);
      expect(await uploadsOf(unit.account.id)).toEqual([]);
      expect(await casesOf(unit.account.id)).toEqual([]);
      expect(await statusOf(unit.account.id)).toBe('unverified');
    });

    test('when a PDF is named .png, then it is refused with 415', async () => {
      const unit = await createUnit(app);
      const { agent } = await signedIn(unit);
      const pdf = { bytes: Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n'), filename: 'licence.png' };
      const response = await upload(agent, { ...(await allThree()), businessLicense: pdf });
      expect(response.status).toBe(415);
      expect(response.body).toMatch(/id="businessLicense-error">只能上传 jpg、jpeg 或 png 格式的图片/);
      expect(await uploadsOf(unit.account.id)).toEqual([]);
    });

    test('when an image is over 1 MB, then it is refused (413) before anything is stored', async () => {
      const unit = await createUnit(app);
      const { agent } = await signedIn(unit);
      const big = { bytes: Buffer.concat([await plainImage('jpeg'), crypto.randomBytes(MB + 10)]), filename: 'document.jpg' };
      const response = await upload(agent, { ...(await allThree()), representativeDocument: big });
      expect(response.status).toBe(413);
      expect(response.body).toMatch(/id="representativeDocument-error">图片不能超过 1 MB，请压缩后重新上传/);
      expect(await uploadsOf(unit.account.id)).toEqual([]);
      expect(await statusOf(unit.account.id)).toBe('unverified');
    });

    test('when images are missing, then each missing one is asked for (400), and nothing is stored', async () => {
      const unit = await createUnit(app);
      const { agent } = await signedIn(unit);
      const response = await upload(agent, { businessLicense: await jpeg() });
      expect(response.status).toBe(400);
      expect(response.body).toMatch(/id="representativeDocument-error">请选择要上传的图片/);
      expect(response.body).toMatch(/id="authorizationLetter-error">请选择要上传的图片/);
      expect(response.body).not.toContain('id="businessLicense-error"');
      expect(await uploadsOf(unit.account.id)).toEqual([]);
    });

    test('when the unit has no legal representative on file, then the section asks to complete the unit first, and an upload is refused with 400', async () => {
      const unit = await createUnit(app, { legalRepresentative: undefined });
      const { agent, page } = await signedIn(unit);
      expect(page).toContain('请先完善并保存法人信息');
      expect(page).not.toContain('action="/portal/me/legal/upload"');
      const response = await upload(agent, await allThree());
      expect(response.status).toBe(400);
      expect(alertText(response.body.slice(response.body.indexOf('legal-upload-title')))).toContain('请先在“修改法人信息”中填写统一社会信用代码');
      expect(await uploadsOf(unit.account.id)).toEqual([]);
    });

    test('when the unit is verified, or has a case pending, then an upload is refused with 409 and stores nothing more', async () => {
      const verified = await createUnit(app, { realNameVerified: true });
      const first = await signedIn(verified);
      expect(first.page).not.toContain('上传法人信息（人工认证）');
      const refused = await upload(first.agent, await allThree());
      expect(refused.status).toBe(409);
      expect(refused.body).toContain('该账号已完成实名认证，无需人工审核');
      expect(await uploadsOf(verified.account.id)).toEqual([]);

      const pending = await createUnit(app);
      const { agent } = await signedIn(pending);
      expect((await upload(agent, await allThree())).status).toBe(302);
      const again = await upload(agent, await allThree());
      expect(again.status).toBe(409);
      expect(await uploadsOf(pending.account.id)).toHaveLength(3);
    });

    test('when the form comes without its CSRF token, then it is refused with 403 and nothing is stored', async () => {
      const unit = await createUnit(app);
      const { agent } = await signedIn(unit);
      const form = new FormData();
      for (const [field, part] of Object.entries(await allThree())) form.set(field, new Blob([part!.bytes]), part!.filename);
      const response = await agent.request(`${app.url}/portal/me/legal/upload`, { multipart: form });
      expect(response.status).toBe(403);
      expect(await uploadsOf(unit.account.id)).toEqual([]);
    });

    test('when a natural person posts the unit upload, then the answer is 404', async () => {
      const person = await createNaturalAccount(app, { documentNumber: uniqueResidentId() });
      const { agent } = await signedIn(person);
      expect((await upload(agent, await allThree())).status).toBe(404);
      expect(await uploadsOf(person.account.id)).toEqual([]);
    });
  });

  describe('the console', () => {
    async function reviewerSession() {
      const operator = await createOperator(app);
      const agent = new UserAgent({ 'x-forwarded-for': uniqueIp() });
      const page = await consoleSignIn(app, agent, operator);
      expect(page.url).toBe(`${app.url}/console/queue`);
      return { agent, operator, page };
    }

    async function decide(agent: UserAgent, caseId: string, action: 'approve' | 'reject', form: Record<string, string> = {}) {
      const casePage = await agent.follow(`${app.url}/console/cases/${caseId}`);
      return agent.submit(`${app.url}/console/cases/${caseId}/${action}`, { csrf: hiddenInput(casePage.body, 'csrf')!, ...form });
    }

    test('when a unit\'s case is pending, then the queue lists it with its kind, unit name and USCC', async () => {
      const unit = await createUnit(app);
      const reviewCase = await openLegalCase(app, unit.account.id);
      const { page } = await reviewerSession();
      const row = page.body.slice(page.body.lastIndexOf('<tr', page.body.indexOf(`/console/cases/${reviewCase.id}`)));
      expect(row).toContain('法人实名认证');
      expect(row).toContain(unit.loginName);
      expect(row).toContain(unit.account.legal!.orgName);
      expect(row).toContain(unit.account.legal!.uscc!);
      expect(page.body).not.toContain(unit.rep.documentNumber);
    });

    test('when a reviewer opens a unit\'s case, then it shows the unit, the representative (full number behind a sensitive click), the main agent masked and the three images, and the look is audited', async () => {
      const unit = await createUnit(app);
      const reviewCase = await openLegalCase(app, unit.account.id);
      const { agent, operator } = await reviewerSession();
      const page = await agent.follow(`${app.url}/console/cases/${reviewCase.id}`);
      expect(page.status).toBe(200);
      expect(page.body).toContain('法人人工实名认证审核');
      expect(page.body).toContain(unit.account.legal!.orgName);
      expect(page.body).toContain(`data-field="uscc">${unit.account.legal!.uscc}<`);
      expect(page.body).toContain(unit.rep.name);
      expect(page.body).toContain(unit.agent.name);
      expect(page.body).toMatch(new RegExp(`data-sensitive="document-number">${unit.rep.documentNumber}<`));
      expect(page.body).not.toContain(unit.agent.documentNumber);
      expect(page.body).not.toContain(unit.agent.mobile);
      for (const role of ['business_license', 'legal_representative_document', 'authorization_letter'] as const) {
        const id = reviewCase.images[role]!;
        expect(page.body).toContain(`<img src="/console/uploads/${id}"`);
        const image = await agent.request(`${app.url}/console/uploads/${id}`);
        expect([role, image.status, image.headers.get('cache-control')]).toEqual([role, 200, 'no-store']);
      }
      for (const label of ['营业执照（或法人登记证书）', '法定代表人证件', '加盖公章的授权书']) expect(page.body).toContain(label);
      const [viewed] = await auditFor(reviewCase.id, 'review.case_viewed');
      expect(viewed).toMatchObject({ actor_type: 'operator', actor_id: operator.id, details: { kind: 'legal_verification' } });
      // Nobody signed in to the console gets the images.
      expect((await fetch(`${app.url}/console/uploads/${reviewCase.images.business_license}`, { redirect: 'manual' })).status).toBe(303);
    });

    test('when a reviewer approves, then the unit is reviewed, its USCC claimed, the approval audited with the USCC, and My Information shows 已审核认证 with the unit locked', async () => {
      const unit = await createUnit(app);
      const reviewCase = await openLegalCase(app, unit.account.id);
      const { agent, operator } = await reviewerSession();
      const done = await decide(agent, reviewCase.id, 'approve');
      expect(done.url).toBe(`${app.url}/console/queue?decided=${reviewCase.id}`);
      expect(done.body).toContain(`已审核通过：${unit.loginName}`);

      const account = (await app.context.accounts.findById(unit.account.id))!;
      expect(account.realNameStatus).toBe('reviewed');
      expect(account.realNameVerifiedAt).toBeInstanceOf(Date);
      expect(await app.context.db('entity_claims').where({ uscc: unit.account.legal!.uscc }).first()).toMatchObject({ account_id: unit.account.id, method: 'manual' });
      const [approved] = await auditFor(reviewCase.id, 'review.approved');
      expect(approved).toMatchObject({ actor_id: operator.id, details: { accountId: unit.account.id, kind: 'legal_verification', uscc: unit.account.legal!.uscc } });
      expect(await app.context.entityVerification.usccAlreadyVerified(unit.account.legal!.uscc!)).toBe(true);

      const { page } = await signedIn(unit);
      expect(page).toContain('已审核认证');
      expect(page).toContain('单位信息与法定代表人身份信息不能修改');
      expect(page).not.toContain('上传法人信息（人工认证）');
    });

    test('when a reviewer rejects with a reason, then the unit is rejected, My Information shows the reason and offers the upload again', async () => {
      const unit = await createUnit(app);
      const reviewCase = await openLegalCase(app, unit.account.id);
      const { agent, operator } = await reviewerSession();
      const reason = '授权书未加盖单位公章，请重新上传。';
      const done = await decide(agent, reviewCase.id, 'reject', { reason });
      expect(done.body).toContain(`已审核不通过：${unit.loginName}`);
      expect(await statusOf(unit.account.id)).toBe('rejected');
      const [rejected] = await auditFor(reviewCase.id, 'review.rejected');
      expect(rejected).toMatchObject({ actor_id: operator.id, details: { reason, kind: 'legal_verification' } });
      expect(await app.context.db('entity_claims').where({ account_id: unit.account.id })).toEqual([]);

      const { page } = await signedIn(unit);
      expect(page).toContain('审核未通过');
      expect(page).toContain(`原因：${reason}`);
      expect(page).toContain('action="/portal/me/legal/upload"');
      expect(page).toContain('id="orgName"');
    });

    test('when another account already holds the USCC, then the case page warns, approval is disabled and refused with 409, and the unit stays pending', async () => {
      const holder = await createUnit(app, { realNameVerified: true });
      const unit = await createUnit(app, { uscc: holder.account.legal!.uscc! });
      const reviewCase = await openLegalCase(app, unit.account.id);
      const { agent } = await reviewerSession();
      const page = await agent.follow(`${app.url}/console/cases/${reviewCase.id}`);
      expect(page.body).toContain(`该统一社会信用代码已用于其他法人账号（${holder.loginName}）的实名认证`);
      expect(page.body).toMatch(/class="button button--approve" disabled/);
      const refused = await agent.submit(`${app.url}/console/cases/${reviewCase.id}/approve`, { csrf: hiddenInput(page.body, 'csrf')! });
      expect(refused.status).toBe(409);
      expect(refused.body).toContain('该统一社会信用代码已用于其他法人账号的实名认证，不能审核通过');
      expect(await statusOf(unit.account.id)).toBe('pending_review');
      expect(await app.context.db('entity_claims').where({ account_id: unit.account.id })).toEqual([]);
    });

    test('when the USCC was claimed by automatic verification of another account after the case opened, then approval is refused', async () => {
      const unit = await createUnit(app);
      const reviewCase = await openLegalCase(app, unit.account.id);
      const rival = await createUnit(app, { uscc: unit.account.legal!.uscc!, orgName: unit.account.legal!.orgName, legalRepresentative: unit.rep });
      await app.context.referenceEntities.upsert([{ uscc: unit.account.legal!.uscc!, orgName: unit.account.legal!.orgName, legalRepresentativeName: unit.rep.name }]);
      expect((await app.context.entityVerification.verifyLegalAccount(rival.account.id, { type: 'cli' })).outcome).toBe('verified');
      const reviewer = await createOperator(app);
      await expect(app.context.reviews.approve(reviewCase.id, { id: reviewer.id })).rejects.toMatchObject({ code: 'legal_review.error.uscc_already_verified', status: 409 });
      expect(await statusOf(unit.account.id)).toBe('pending_review');
    });

    test('when a unit registered in Hong Kong is approved, then it is reviewed without a USCC claim', async () => {
      const unit = await createUnit(app, { uscc: undefined, registrationRegion: 'hmt', registrationNumber: 'HK 1234567' });
      const { agent } = await signedIn(unit);
      expect((await upload(agent, await allThree())).status).toBe(302);
      const [reviewCase] = await casesOf(unit.account.id);
      expect(reviewCase.snapshot).toMatchObject({ registrationRegion: 'hmt', uscc: null, registrationNumber: 'HK 1234567' });
      const reviewer = await reviewerSession();
      const casePage = await reviewer.agent.follow(`${app.url}/console/cases/${reviewCase.id}`);
      expect(casePage.body).toContain('HK 1234567');
      expect(casePage.body).toContain('港澳台地区单位');
      await decide(reviewer.agent, reviewCase.id, 'approve');
      expect(await statusOf(unit.account.id)).toBe('reviewed');
      expect(await app.context.db('entity_claims').where({ account_id: unit.account.id })).toEqual([]);
    });
  });
});
