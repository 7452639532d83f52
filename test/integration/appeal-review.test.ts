/**
 * Appeals in the review console (SPEC §7, §10): the queue, each appeal's page beside the accounts
 * its document (natural) or USCC (legal) belongs to, approval (one-time credential, reserved mobile
 * or main agent replaced, SMS after commit), approval with several matches and with none, rejection
 * (reason by SMS, account unchanged), the status page after each, and the audit trail.
 */
import type { Appeal } from '../../src/flows/appeal/appeal.rules.js';
import { createLegalAccount, createNaturalAccount, uniqueIp, uniqueUscc } from '../support/accounts.js';
import { APPEAL_TEST_ENV, appealAgent, appealPerson, CAPTCHA_ANSWER, fileAppeal } from '../support/appeals.js';
import { answers, FakeGateway } from '../support/fake-sms-gateways.js';
import { uniqueName, uniqueResidentId } from '../support/identities.js';
import { unitPerson } from '../support/legal-review.js';
import { consoleSignIn, createOperator, plainImage, type TestOperator } from '../support/review.js';
import { captureLogs, startTestApp, type TestApp, uniqueMobile } from '../support/test-app.js';
import { alertText, hiddenInput, UserAgent } from '../support/user-agent.js';

/** The login name and one-time credential of an "approved" SMS. */
function approvalText(text: string): { loginName: string; credential: string } {
  const match = /登录名：(\w+)，一次性登录密码：(\d{12})/.exec(text);
  if (!match) throw new Error(`not an approval: ${text}`);
  return { loginName: match[1]!, credential: match[2]! };
}

const naturalAppeal = (person = appealPerson()): Appeal & { kind: 'natural' } => ({ kind: 'natural', person });
const legalAppeal = (uscc: string, overrides: Partial<Extract<Appeal, { kind: 'legal' }>> = {}): Appeal & { kind: 'legal' } => ({
  kind: 'legal',
  orgName: `${uniqueName()}科技有限公司`,
  orgType: 'enterprise',
  uscc,
  mainAgent: appealPerson(),
  email: 'agent@example.com',
  reason: '原主代办人离职，预留手机号已停用。',
  ...overrides,
});

describe('appeals in the review console', () => {
  let app: TestApp;
  const logs = captureLogs();
  let reviewer: TestOperator;
  let agent: UserAgent;

  beforeAll(async () => {
    app = await startTestApp({ env: { ...APPEAL_TEST_ENV, LOG_LEVEL: 'info' }, logDestination: logs });
    reviewer = await createOperator(app, 'reviewer');
    agent = new UserAgent({ 'x-forwarded-for': uniqueIp() });
    await consoleSignIn(app, agent, reviewer);
  });
  afterAll(() => app?.close());

  const appealPage = (caseId: string) => agent.request(`${app.url}/console/appeals/${caseId}`);
  async function decide(caseId: string, decision: 'approve' | 'reject', fields: Record<string, string> = {}) {
    const page = await appealPage(caseId);
    return agent.request(`${app.url}/console/appeals/${caseId}/${decision}`, { form: { csrf: hiddenInput(page.body, 'csrf') ?? '', ...fields } });
  }
  const caseRow = (caseId: string) => app.context.db('review_cases as c').join('appeals as p', 'p.case_id', 'c.id').where('c.id', caseId).first('c.status', 'c.reason', 'c.reviewer_id', 'p.account_id', 'p.replaced_contact');
  const lastSms = async (mobile: string) => (await app.context.smsOutbox.recent({ mobile, limit: 1 }))[0];
  const auditOf = (caseId: string, event: string) => app.context.db('audit_events').where({ subject_id: caseId, event }).select();

  /** A natural account verified with `documentNumber` through the register: it holds the document's claim. */
  async function claimHolder(documentNumber: string, name = uniqueName()) {
    await app.context.referenceRegister.upsert([{ name, documentType: 'resident_id', documentNumber }]);
    const created = await createNaturalAccount(app, { name, documentNumber });
    expect((await app.context.verification.verifyNaturalAccount(created.account.id, { type: 'cli' })).outcome).toBe('verified');
    return created;
  }

  async function statusPage(caseNumber: string, mobile: string) {
    const browser = appealAgent();
    const page = await browser.request(`${app.url}/recovery/appeal/status`);
    return browser.request(`${app.url}/recovery/appeal/status`, {
      form: { csrf: hiddenInput(page.body, 'csrf')!, captchaId: hiddenInput(page.body, 'captchaId')!, captcha: CAPTCHA_ANSWER, caseNumber, mobile },
    });
  }

  test('when appeals are pending, then the queue lists them with their case numbers, to be matched, each opening its own page', async () => {
    const natural = naturalAppeal();
    const { caseId, caseNumber } = await fileAppeal(app, natural);
    const uscc = uniqueUscc();
    const legal = await fileAppeal(app, legalAppeal(uscc));
    const queue = await agent.request(`${app.url}/console/queue`);
    expect(queue.status).toBe(200);
    const row = queue.body.split('<tr>').find((chunk) => chunk.includes(caseNumber))!;
    expect(row).toContain('自然人申诉找回密码');
    expect(row).toContain('待匹配');
    expect(row).toContain(natural.person.name);
    expect(row).toContain(`${natural.person.documentNumber.slice(0, 3)}***********${natural.person.documentNumber.slice(-4)}`);
    expect(row).not.toContain(natural.person.documentNumber);
    expect(row).toContain(`href="/console/appeals/${caseId}" aria-label="审核 ${caseNumber}"`);
    const legalRow = queue.body.split('<tr>').find((chunk) => chunk.includes(legal.caseNumber))!;
    expect(legalRow).toContain('单位法人申诉找回密码');
    expect(legalRow).toContain(uscc);
    // A verification page does not open an appeal.
    expect((await agent.request(`${app.url}/console/cases/${caseId}`)).status).toBe(404);
  });

  test('when a reviewer opens a natural appeal, then it shows the data (the full number behind a sensitive click), both images, and the account the document verifies, reserved mobile masked; the look is audited', async () => {
    const person = appealPerson();
    const holder = await claimHolder(person.documentNumber, person.name);
    const { caseId, caseNumber } = await fileAppeal(app, naturalAppeal(person));
    const page = await appealPage(caseId);
    expect(page.status).toBe(200);
    expect(page.body).toContain('申诉找回密码审核');
    expect(page.body).toContain(`data-case-number>${caseNumber}<`);
    expect(page.body).toContain(person.name);
    expect(page.body).toMatch(new RegExp(`data-sensitive="document-number">${person.documentNumber}<`));
    expect(page.body).toContain(`${person.mobile.slice(0, 3)}****${person.mobile.slice(-4)}`);
    expect(page.body).not.toContain(person.mobile);
    const match = page.body.split('<tr').find((chunk) => chunk.includes(`data-match="${holder.loginName}"`))!;
    expect(match).toContain('实名认证归属');
    expect(match).toContain('已实名认证');
    expect(match).toContain(`${holder.account.mobile.slice(0, 3)}****${holder.account.mobile.slice(-4)}`);
    expect(match).not.toContain(holder.account.mobile);
    expect(match).toContain('checked');

    for (const [role, type] of [['identity_document_front', 'image/jpeg'], ['identity_document_back', 'image/png']] as const) {
      const uploadId = (await app.context.db('review_case_uploads').where({ case_id: caseId, role }).first('upload_id')).upload_id as string;
      expect(page.body).toContain(`/console/uploads/${uploadId}`);
      const image = await agent.request(`${app.url}/console/uploads/${uploadId}`);
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toBe(type);
    }
    const [viewed] = await auditOf(caseId, 'appeal.case_viewed');
    expect(viewed).toMatchObject({ actor_type: 'operator', actor_id: reviewer.id, details: { kind: 'natural_appeal', caseNumber, matches: 1 } });
  });

  test('when a natural appeal is approved, then the account gets a one-time credential and the appeal’s mobile, a lock is lifted, the applicant gets both by SMS, and nothing secret is kept or logged', async () => {
    const person = appealPerson();
    const holder = await claimHolder(person.documentNumber, person.name);
    const { caseId, caseNumber } = await fileAppeal(app, naturalAppeal(person));
    // Locked by failed sign-ins, as accounts that need an appeal often are.
    const lockKey = holder.loginName.toLowerCase();
    await app.context.db('login_throttles').insert({ login_name_key: lockKey, failures: 5, last_failure_at: new Date(), locked_until: new Date(Date.now() + 15 * 60_000) });
    const response = await decide(caseId, 'approve');
    expect(response.status).toBe(303);
    expect(response.location).toBe(`${app.url}/console/queue?decided=${caseId}`);
    const queue = await agent.request(response.location!);
    expect(queue.body).toContain(`申诉 ${caseNumber} 已审核通过：账号 ${holder.loginName} 的一次性登录密码已生成并以短信发送。`);

    const sms = await lastSms(person.mobile);
    expect(sms!.template).toBe('notice_appeal_approved');
    const { loginName, credential } = approvalText(sms!.text);
    expect(loginName).toBe(holder.loginName);
    expect(sms!.text).toContain(caseNumber);
    expect(sms!.text).toContain('24 小时内有效');
    expect(await app.context.oneTimeCredentials.matches(holder.account.id, credential)).toBe(true);
    // The approval lifted the lock: the credential signs in at once.
    expect(await app.context.db('login_throttles').where({ login_name_key: lockKey }).first()).toBeUndefined();
    await expect(app.context.login.authenticate({ window: 'natural', loginName: holder.loginName, password: credential, ip: '127.0.0.9' })).resolves.toEqual({
      accountId: holder.account.id,
      method: 'one_time_credential',
    });
    const account = (await app.context.accounts.findById(holder.account.id))!;
    expect(account.mobile).toBe(person.mobile);
    expect(account.mobileVerified).toBe(true);

    expect(await caseRow(caseId)).toMatchObject({ status: 'approved', reviewer_id: reviewer.id, account_id: holder.account.id, replaced_contact: null });
    const [approved] = await auditOf(caseId, 'appeal.approved');
    expect(approved).toMatchObject({ actor_type: 'operator', actor_id: reviewer.id, details: { reviewerId: reviewer.id, accountId: holder.account.id, caseNumber, mobileReplaced: true } });
    const [notice] = await auditOf(caseId, 'appeal.notice_sent');
    expect(notice).toMatchObject({ outcome: 'success' });
    const stored = JSON.stringify(await app.context.db('one_time_credentials').where({ account_id: holder.account.id }).first());
    expect(stored).not.toContain(credential);
    expect(JSON.stringify(await app.context.db('audit_events').where({ subject_id: caseId }).select())).not.toContain(credential);
    expect(logs.text()).not.toContain(credential);
    expect(logs.text()).not.toContain(person.documentNumber);

    const status = await statusPage(caseNumber, person.mobile);
    expect(status.body).toMatch(/data-appeal-status="approved"/);
    expect(status.body).toContain('已通过：登录名与一次性密码已短信发送');
    expect(status.body).not.toContain(holder.loginName);
    // The decided appeal shows how it ended.
    const page = await appealPage(caseId);
    expect(page.body).toContain(`找回的账号：${holder.loginName}`);
    expect(page.body).not.toContain('action="/console/appeals/');
  });

  test('when a document verifies several accounts, then the reviewer must choose one; the chosen one alone gets the credential and the mobile', async () => {
    const person = appealPerson();
    const first = await createNaturalAccount(app, { name: person.name, documentNumber: person.documentNumber, realNameVerified: true });
    const second = await createNaturalAccount(app, { name: person.name, documentNumber: person.documentNumber, realNameVerified: true });
    const stranger = await createNaturalAccount(app, { name: person.name, documentNumber: uniqueResidentId(), realNameVerified: true });
    const { caseId } = await fileAppeal(app, naturalAppeal(person));
    const page = await appealPage(caseId);
    expect(page.body).toContain('有多个账号匹配');
    expect(page.body).toContain(`data-match="${first.loginName}"`);
    expect(page.body).toContain(`data-match="${second.loginName}"`);
    expect(page.body).not.toContain(`data-match="${stranger.loginName}"`);

    const unchosen = await decide(caseId, 'approve');
    expect(unchosen.status).toBe(400);
    expect(unchosen.body).toMatch(/id="accountId-error" role="alert">有多个账号匹配，请选择要找回的账号</);
    const wrong = await decide(caseId, 'approve', { accountId: stranger.account.id });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('所选账号与本申诉不匹配，请重新选择');
    expect((await caseRow(caseId)).status).toBe('pending');

    expect((await decide(caseId, 'approve', { accountId: second.account.id })).status).toBe(303);
    const { loginName, credential } = approvalText((await lastSms(person.mobile))!.text);
    expect(loginName).toBe(second.loginName);
    expect(await app.context.oneTimeCredentials.matches(second.account.id, credential)).toBe(true);
    expect(await app.context.oneTimeCredentials.outstanding(first.account.id)).toBe(false);
    expect((await app.context.accounts.findById(first.account.id))!.mobile).toBe(first.account.mobile);
    expect((await app.context.accounts.findById(second.account.id))!.mobile).toBe(person.mobile);
  });

  test('when no account matches, then the page says so, approval is refused (409) and the appeal stays pending, with no SMS', async () => {
    const person = appealPerson();
    // Registered with the document but never verified: not a match.
    await createNaturalAccount(app, { name: person.name, documentNumber: person.documentNumber });
    const { caseId } = await fileAppeal(app, naturalAppeal(person));
    const page = await appealPage(caseId);
    expect(page.body).toContain('没有账号以该证件完成实名认证，本申诉不能审核通过');
    expect(page.body).toMatch(/class="button button--approve" disabled/);
    const refused = await decide(caseId, 'approve');
    expect(refused.status).toBe(409);
    expect(alertText(refused.body)).toBe('没有与本申诉匹配的账号，不能审核通过。');
    expect((await caseRow(caseId)).status).toBe('pending');
    expect((await lastSms(person.mobile))!.template).toBe('code_appeal');
  });

  test('when an appeal is rejected, then a reason is required, the applicant gets it by SMS, the account is unchanged, and the status page shows it', async () => {
    const person = appealPerson();
    const holder = await claimHolder(person.documentNumber, person.name);
    const { caseId, caseNumber } = await fileAppeal(app, naturalAppeal(person));
    const missing = await decide(caseId, 'reject', { reason: '   ' });
    expect(missing.status).toBe(400);
    expect(missing.body).toContain('请填写不通过的原因（申请人将看到该原因）');
    const tooLong = await decide(caseId, 'reject', { reason: '长'.repeat(501) });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body).toContain('原因不能超过 500 个字');

    const reason = '证件照片模糊，无法辨认签字，请重新拍摄后再次申诉。';
    expect((await decide(caseId, 'reject', { reason })).status).toBe(303);
    const sms = (await lastSms(person.mobile))!;
    expect(sms.template).toBe('notice_appeal_rejected');
    expect(sms.text).toContain(`您的申诉（编号 ${caseNumber}）未通过审核，原因：${reason}`);
    const account = (await app.context.accounts.findById(holder.account.id))!;
    expect(account.mobile).toBe(holder.account.mobile);
    expect(await app.context.oneTimeCredentials.outstanding(holder.account.id)).toBe(false);
    expect(await caseRow(caseId)).toMatchObject({ status: 'rejected', reason, reviewer_id: reviewer.id, account_id: null });
    const [rejected] = await auditOf(caseId, 'appeal.rejected');
    expect(rejected).toMatchObject({ actor_id: reviewer.id, details: { reviewerId: reviewer.id, reason, caseNumber } });

    const status = await statusPage(caseNumber, person.mobile);
    expect(status.body).toMatch(/data-appeal-status="rejected"/);
    expect(status.body).toContain(`原因：${reason}`);
    // Decided once is decided.
    const again = await decide(caseId, 'approve');
    expect(again.status).toBe(409);
    expect(alertText(again.body)).toBe('该申请已被处理，请返回审核队列');
  });

  describe('legal appeals', () => {
    /** A unit verified with `uscc` (it holds the USCC's claim), with both person blocks on file. */
    async function verifiedUnit(uscc: string) {
      const rep = unitPerson();
      const agentBlock = unitPerson();
      const orgName = `${uniqueName()}科技有限公司`;
      await app.context.referenceEntities.upsert([{ uscc, orgName, legalRepresentativeName: rep.name }]);
      const unit = await createLegalAccount(app, { orgName, uscc, mobile: agentBlock.mobile, legalRepresentative: rep, mainAgent: agentBlock });
      expect((await app.context.entityVerification.verifyLegalAccount(unit.account.id, { type: 'cli' })).outcome).toBe('verified');
      return { ...unit, orgName, rep, agentBlock };
    }

    test('when a reviewer opens a unit’s appeal, then the accounts with its USCC are listed, the claim holder first, a different unit name marked', async () => {
      const uscc = uniqueUscc();
      const holder = await verifiedUnit(uscc);
      const other = await createLegalAccount(app, { uscc });
      const { caseId } = await fileAppeal(app, legalAppeal(uscc, { orgName: holder.orgName }));
      const page = await appealPage(caseId);
      expect(page.body).toContain('使用该统一社会信用代码的法人账号');
      const first = page.body.indexOf(`data-match="${holder.loginName}"`);
      const second = page.body.indexOf(`data-match="${other.loginName}"`);
      expect(first).toBeGreaterThan(0);
      expect(second).toBeGreaterThan(first);
      const otherRow = page.body.slice(second, page.body.indexOf('</tr>', second));
      expect(otherRow).toContain('单位名称不一致');
      expect(otherRow).toContain('未实名认证');
      const holderRow = page.body.slice(first, page.body.indexOf('</tr>', first));
      expect(holderRow).not.toContain('单位名称不一致');
      expect(holderRow).toContain('实名认证归属');
      expect(page.body).toContain('name="replaceContact" checked');
    });

    test('when it is approved with the main agent replaced, then the unit’s main agent and reserved mobile are the appeal’s, and the credential goes to the new agent', async () => {
      const uscc = uniqueUscc();
      const holder = await verifiedUnit(uscc);
      const appeal = legalAppeal(uscc, { orgName: holder.orgName });
      const { caseId, caseNumber } = await fileAppeal(app, appeal);
      expect((await decide(caseId, 'approve', { accountId: holder.account.id, replaceContact: 'on' })).status).toBe(303);

      const { loginName, credential } = approvalText((await lastSms(appeal.mainAgent.mobile))!.text);
      expect(loginName).toBe(holder.loginName);
      expect(await app.context.oneTimeCredentials.matches(holder.account.id, credential)).toBe(true);
      const account = (await app.context.accounts.findById(holder.account.id))!;
      expect(account.mobile).toBe(appeal.mainAgent.mobile);
      const blocks = await app.context.accounts.legalPersonBlocks(holder.account.id);
      expect(blocks.mainAgent).toEqual({ ...appeal.mainAgent, documentValidUntil: null, documentLongTerm: false });
      expect(blocks.legalRepresentative!.documentNumber).toBe(holder.rep.documentNumber);
      expect(account.realNameStatus).toBe('verified');
      expect(await caseRow(caseId)).toMatchObject({ status: 'approved', account_id: holder.account.id, replaced_contact: true });
      const [approved] = await auditOf(caseId, 'appeal.approved');
      expect(approved.details).toMatchObject({ caseNumber, accountId: holder.account.id, replacedContact: true, mobileReplaced: true });
    });

    test('when it is approved without replacing the main agent, then only the credential is issued: agent and reserved mobile stay', async () => {
      const uscc = uniqueUscc();
      const holder = await verifiedUnit(uscc);
      const appeal = legalAppeal(uscc, { orgName: holder.orgName });
      const { caseId } = await fileAppeal(app, appeal);
      // An unticked checkbox is not sent at all.
      expect((await decide(caseId, 'approve', { accountId: holder.account.id })).status).toBe(303);
      const { credential } = approvalText((await lastSms(appeal.mainAgent.mobile))!.text);
      expect(await app.context.oneTimeCredentials.matches(holder.account.id, credential)).toBe(true);
      expect((await app.context.accounts.findById(holder.account.id))!.mobile).toBe(holder.agentBlock.mobile);
      expect((await app.context.accounts.legalPersonBlocks(holder.account.id)).mainAgent!.documentNumber).toBe(holder.agentBlock.documentNumber);
      expect(await caseRow(caseId)).toMatchObject({ replaced_contact: false });
      const page = await appealPage(caseId);
      expect(page.body).toContain('主代办人及预留手机号未变更。');
    });

    test('when no legal account has the USCC, then approval is refused (409)', async () => {
      const { caseId } = await fileAppeal(app, legalAppeal(uniqueUscc()));
      expect((await appealPage(caseId)).body).toContain('没有法人账号使用该统一社会信用代码');
      expect((await decide(caseId, 'approve', { replaceContact: 'on' })).status).toBe(409);
    });
  });

  test('when a decision carries no console CSRF token, then it is refused (403) and the appeal stays pending', async () => {
    const person = appealPerson();
    await claimHolder(person.documentNumber, person.name);
    const { caseId } = await fileAppeal(app, naturalAppeal(person));
    const response = await agent.request(`${app.url}/console/appeals/${caseId}/approve`, { form: { csrf: 'forged' } });
    expect(response.status).toBe(403);
    expect((await caseRow(caseId)).status).toBe('pending');
  });

  test('when nobody is signed in to the console, then an appeal’s page sends them to the sign-in', async () => {
    const { caseId } = await fileAppeal(app, naturalAppeal());
    const response = await new UserAgent().request(`${app.url}/console/appeals/${caseId}`);
    expect(response.status).toBe(303);
    expect(response.location).toBe(`${app.url}/console/sign-in`);
  });
});

describe('appeal decisions when the SMS gateway is down', () => {
  let app: TestApp;
  const gateway = new FakeGateway();

  beforeAll(async () => {
    await gateway.listen();
    app = await startTestApp({
      env: { ...APPEAL_TEST_ENV, SMS_ADAPTER: 'http', SMS_HTTP_URL: gateway.url, SMS_HTTP_TOKEN: 'gateway-token-0123456789', SMS_TIMEOUT_MS: '500' },
    });
  });
  afterAll(async () => {
    await app?.close();
    await gateway.close();
  });

  test('when the approval’s SMS cannot be sent, then the decision stands, the queue warns the reviewer, and the failure is audited', async () => {
    const person = appealPerson({ mobile: uniqueMobile() });
    const holder = await createNaturalAccount(app, { name: person.name, documentNumber: person.documentNumber, realNameVerified: true });
    gateway.answer = answers.json(200, {});
    await app.context.smsCodes.requestCode({ mobile: person.mobile, purpose: 'appeal', ip: uniqueIp() });
    const code = (gateway.requests.at(-1)!.body as { params: { code: string } }).params.code;
    const images = { front: await app.context.uploads.check({ bytes: await plainImage('jpeg') }), back: await app.context.uploads.check({ bytes: await plainImage('png') }) };
    const { caseId } = await app.context.appeals.submit({ appeal: naturalAppeal(person), images, smsCode: code, ip: uniqueIp() });

    const reviewer = await createOperator(app, 'reviewer');
    const agent = new UserAgent({ 'x-forwarded-for': uniqueIp() });
    await consoleSignIn(app, agent, reviewer);
    const page = await agent.request(`${app.url}/console/appeals/${caseId}`);
    gateway.answer = answers.json(500, {});
    const response = await agent.request(`${app.url}/console/appeals/${caseId}/approve`, { form: { csrf: hiddenInput(page.body, 'csrf')! } });
    expect(response.status).toBe(303);
    expect(response.location).toContain('&notice=failed');
    const queue = await agent.request(response.location!);
    expect(queue.body).toContain('短信未能发出');
    expect(await app.context.oneTimeCredentials.outstanding(holder.account.id)).toBe(true);
    const [notice] = await app.context.db('audit_events').where({ subject_id: caseId, event: 'appeal.notice_sent' }).select();
    expect(notice).toMatchObject({ outcome: 'failure' });
  });
});
