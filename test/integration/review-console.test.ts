/**
 * The review console over HTTP against PostgreSQL: sign-in with password + TOTP (codes made with
 * otplib as an authenticator app makes them), lockout, CSRF, session separation from the OP, the
 * queue, decisions and their audit events, and who may see the images.
 */
import { createApplicant, consoleSignIn, createOperator, openCase, plainImage, totpCode, type TestOperator } from '../support/review.js';
import { credentials, uniqueIp } from '../support/accounts.js';
import { TestRelyingParty } from '../support/oidc-rp.js';
import { startTestApp, unique, type TestApp } from '../support/test-app.js';
import { alertText, hiddenInput, UserAgent } from '../support/user-agent.js';

describe('the review console', () => {
  let app: TestApp;
  const rp = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-rc');

  beforeAll(async () => {
    await rp.listen();
    app = await startTestApp({ clients: [rp.clientEntry()], env: { TRUST_PROXY: 'true' } });
    await rp.discover(app.url);
  });
  afterAll(async () => {
    await app?.close();
    await rp.close();
  });

  /** A browser of its own (own cookies, own address) with a signed-in operator. */
  async function signedIn(operator?: TestOperator) {
    const op = operator ?? (await createOperator(app));
    const agent = new UserAgent({ 'x-forwarded-for': uniqueIp() });
    const page = await consoleSignIn(app, agent, op);
    expect(page.url).toBe(`${app.url}/console/queue`);
    return { agent, operator: op, page };
  }

  const auditFor = (subjectId: string, event?: string) =>
    app.context.db('audit_events').where({ subject_id: subjectId, ...(event ? { event } : {}) }).orderBy('id').select();

  const statusOf = async (accountId: string) => (await app.context.accounts.findById(accountId))!.realNameStatus;

  describe('sign-in', () => {
    test('when an operator gives the right password and the current TOTP code, then the queue opens and a console_session cookie is set (httpOnly, SameSite=Strict, path /console)', async () => {
      const operator = await createOperator(app);
      const agent = new UserAgent({ 'x-forwarded-for': uniqueIp() });
      const form = await agent.follow(`${app.url}/console/sign-in`);
      const response = await agent.request(`${app.url}/console/sign-in`, {
        form: { csrf: hiddenInput(form.body, 'csrf')!, username: operator.username, password: operator.password, totp: await totpCode(operator.totpSecret) },
      });
      expect(response.status).toBe(303);
      expect(response.location).toBe(`${app.url}/console/queue`);
      const cookie = response.headers.getSetCookie().find((c) => c.startsWith('console_session='))!;
      expect(cookie).toMatch(/; path=\/console/);
      expect(cookie).toMatch(/; samesite=strict/i);
      expect(cookie).toMatch(/; httponly/i);
      const queue = await agent.follow(response.location!);
      expect(queue.status).toBe(200);
      expect(queue.body).toContain('待审核队列');
      expect(await auditFor(operator.id, 'console.login.success')).toHaveLength(1);
    });

    test('when the TOTP code is wrong, then sign-in is refused with 401 and the generic message, and the failure is audited', async () => {
      const operator = await createOperator(app);
      const agent = new UserAgent({ 'x-forwarded-for': uniqueIp() });
      const page = await consoleSignIn(app, agent, operator, { totp: await totpCode(operator.totpSecret, -600) });
      expect(page.status).toBe(401);
      expect(alertText(page.body)).toBe('用户名、密码或动态验证码错误');
      const [failure] = await auditFor(operator.id, 'console.login.failure');
      expect(failure).toMatchObject({ outcome: 'failure', details: { reason: 'totp', failures: 1 } });
    });

    test('when the password is wrong or the username unknown, then the answer is the same 401 and message as for a wrong code', async () => {
      const operator = await createOperator(app);
      const wrongPassword = await consoleSignIn(app, new UserAgent({ 'x-forwarded-for': uniqueIp() }), operator, { password: 'Wrong-Password-1' });
      const unknown = await consoleSignIn(app, new UserAgent({ 'x-forwarded-for': uniqueIp() }), { ...operator, username: unique('nobody') });
      for (const page of [wrongPassword, unknown]) {
        expect(page.status).toBe(401);
        expect(alertText(page.body)).toBe('用户名、密码或动态验证码错误');
      }
    });

    test('when a TOTP code that already signed in is used again within its window, then it is refused', async () => {
      const operator = await createOperator(app);
      const code = await totpCode(operator.totpSecret);
      const first = await consoleSignIn(app, new UserAgent({ 'x-forwarded-for': uniqueIp() }), operator, { totp: code });
      expect(first.url).toBe(`${app.url}/console/queue`);
      const replay = await consoleSignIn(app, new UserAgent({ 'x-forwarded-for': uniqueIp() }), operator, { totp: code });
      expect(replay.status).toBe(401);
      expect(alertText(replay.body)).toBe('用户名、密码或动态验证码错误');
      const [failure] = await auditFor(operator.id, 'console.login.failure');
      expect(failure.details.reason).toBe('totp_replayed');
    });

    test('when sign-in fails five times, then the operator is locked: even the right password and code get 429, and the lock is audited', async () => {
      const operator = await createOperator(app);
      const agent = new UserAgent({ 'x-forwarded-for': uniqueIp() });
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1) statuses.push((await consoleSignIn(app, agent, operator, { password: 'Wrong-Password-1' })).status);
      expect(statuses).toEqual([401, 401, 401, 401, 429]);
      const locked = await consoleSignIn(app, agent, operator);
      expect(locked.status).toBe(429);
      expect(alertText(locked.body)).toMatch(/登录失败次数过多，已暂时锁定，请于 \d+ 分钟后再试/);
      expect(await auditFor(operator.id, 'console.login.locked')).toHaveLength(1);
    });

    test('when fields are empty or the code is not 6 digits, then each field gets its message with 400', async () => {
      const agent = new UserAgent({ 'x-forwarded-for': uniqueIp() });
      const form = await agent.follow(`${app.url}/console/sign-in`);
      const page = await agent.submit(`${app.url}/console/sign-in`, { csrf: hiddenInput(form.body, 'csrf')!, username: '', password: '', totp: '12ab' });
      expect(page.status).toBe(400);
      expect(page.body).toContain('请输入用户名');
      expect(page.body).toContain('请输入密码');
      expect(page.body).toContain('动态验证码为 6 位数字');
    });

    test('when the sign-in form comes without its CSRF token, then it is refused with 403', async () => {
      const operator = await createOperator(app);
      const agent = new UserAgent({ 'x-forwarded-for': uniqueIp() });
      await agent.follow(`${app.url}/console/sign-in`);
      const page = await agent.request(`${app.url}/console/sign-in`, {
        form: { username: operator.username, password: operator.password, totp: await totpCode(operator.totpSecret) },
      });
      expect(page.status).toBe(403);
    });

    test('when the operator signs out, then the session is gone: the old cookie opens nothing', async () => {
      const { agent, page } = await signedIn();
      const csrf = hiddenInput(page.body, 'csrf')!;
      const out = await agent.submit(`${app.url}/console/sign-out`, { csrf });
      expect(out.url).toBe(`${app.url}/console/sign-in?signed_out=1`);
      expect(out.body).toContain('您已退出审核控制台。');
      const after = await agent.request(`${app.url}/console/queue`);
      expect(after.status).toBe(303);
      expect(after.location).toBe(`${app.url}/console/sign-in`);
    });
  });

  describe('access', () => {
    test('when a user is signed in at the OP (its session cookies), then /console pages still redirect to the console sign-in', async () => {
      const applicant = await createApplicant(app);
      const agent = new UserAgent({ 'x-forwarded-for': uniqueIp() });
      await rp.signIn(agent, credentials(applicant));
      const reviewCase = await openCase(app, applicant.account.id);
      for (const path of ['/console', '/console/queue', `/console/cases/${reviewCase.id}`, `/console/uploads/${reviewCase.images.identity_document_front}`]) {
        const response = await agent.request(`${app.url}${path}`);
        expect([path, response.status, response.location]).toEqual([path, 303, `${app.url}/console/sign-in`]);
      }
    });

    test('when nobody is signed in, then a case image is not served; a signed-in operator gets it with Cache-Control no-store', async () => {
      const applicant = await createApplicant(app);
      const reviewCase = await openCase(app, applicant.account.id);
      const url = `${app.url}/console/uploads/${reviewCase.images.identity_document_front}`;
      const anonymous = await fetch(url, { redirect: 'manual' });
      expect(anonymous.status).toBe(303);
      expect(anonymous.headers.get('content-type') ?? '').not.toMatch(/^image\//);

      const { agent } = await signedIn();
      const image = await agent.request(url);
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toBe('image/jpeg');
      expect(image.headers.get('cache-control')).toBe('no-store');
      expect(image.headers.get('x-content-type-options')).toBe('nosniff');
    });

    test('when an upload belongs to no case, or the id is not an id, then the console answers 404', async () => {
      const applicant = await createApplicant(app);
      const loose = await app.context.uploads.store({ ownerAccountId: applicant.account.id, purpose: 'identity_document_front', bytes: await plainImage('jpeg') });
      const { agent } = await signedIn();
      expect((await agent.request(`${app.url}/console/uploads/${loose.id}`)).status).toBe(404);
      expect((await agent.request(`${app.url}/console/uploads/not-a-uuid`)).status).toBe(404);
      expect((await agent.request(`${app.url}/console/cases/not-a-uuid`)).status).toBe(404);
    });
  });

  describe('queue and decisions', () => {
    test('when cases are pending, then the queue lists them oldest first with login name, name and the masked number only', async () => {
      const older = await createApplicant(app);
      const newer = await createApplicant(app);
      const olderCase = await openCase(app, older.account.id);
      const newerCase = await openCase(app, newer.account.id);
      const { page } = await signedIn();
      const olderAt = page.body.indexOf(`/console/cases/${olderCase.id}`);
      const newerAt = page.body.indexOf(`/console/cases/${newerCase.id}`);
      expect(olderAt).toBeGreaterThan(-1);
      expect(newerAt).toBeGreaterThan(olderAt);
      expect(page.body).toContain(older.loginName);
      expect(page.body).toContain(older.documentNumber.slice(0, 3) + '*'.repeat(11) + older.documentNumber.slice(-4));
      expect(page.body).not.toContain(older.documentNumber);
    });

    test('when a reviewer opens a case, then the page shows the data, both images and the full number marked sensitive, and the look is audited', async () => {
      const applicant = await createApplicant(app);
      const reviewCase = await openCase(app, applicant.account.id);
      const { agent, operator } = await signedIn();
      const page = await agent.follow(`${app.url}/console/cases/${reviewCase.id}`);
      expect(page.status).toBe(200);
      expect(page.body).toContain(applicant.loginName);
      expect(page.body).toContain('李四');
      expect(page.body).toContain(`<img src="/console/uploads/${reviewCase.images.identity_document_front}"`);
      expect(page.body).toContain(`<img src="/console/uploads/${reviewCase.images.identity_document_back}"`);
      expect(page.body).toMatch(new RegExp(`data-sensitive="document-number">${applicant.documentNumber}<`));
      expect(page.body).toContain('敏感信息');
      const [viewed] = await auditFor(reviewCase.id, 'review.case_viewed');
      expect(viewed).toMatchObject({ actor_type: 'operator', actor_id: operator.id });
    });

    test('when approve or reject is posted without the session\'s CSRF token (or with another session\'s), then it is refused with 403 and nothing changes', async () => {
      const applicant = await createApplicant(app);
      const reviewCase = await openCase(app, applicant.account.id);
      const { agent } = await signedIn();
      const other = await signedIn();
      const otherToken = hiddenInput(other.page.body, 'csrf')!;
      const approve = `${app.url}/console/cases/${reviewCase.id}/approve`;
      const reject = `${app.url}/console/cases/${reviewCase.id}/reject`;
      expect((await agent.request(approve, { form: {} })).status).toBe(403);
      expect((await agent.request(approve, { form: { csrf: otherToken } })).status).toBe(403);
      expect((await agent.request(reject, { form: { reason: '图片模糊' } })).status).toBe(403);
      expect(await statusOf(applicant.account.id)).toBe('pending_review');
    });

    test('when a reviewer approves, then the account is reviewed with its verification time, the queue confirms it, and review.approved is audited with the reviewer', async () => {
      const applicant = await createApplicant(app);
      const reviewCase = await openCase(app, applicant.account.id);
      const { agent, operator } = await signedIn();
      const casePage = await agent.follow(`${app.url}/console/cases/${reviewCase.id}`);
      const done = await agent.submit(`${app.url}/console/cases/${reviewCase.id}/approve`, { csrf: hiddenInput(casePage.body, 'csrf')! });
      expect(done.url).toBe(`${app.url}/console/queue?decided=${reviewCase.id}`);
      expect(done.body).toContain(`已审核通过：${applicant.loginName}`);
      expect(done.body).not.toContain(`/console/cases/${reviewCase.id}"`);

      const account = (await app.context.accounts.findById(applicant.account.id))!;
      expect(account.realNameStatus).toBe('reviewed');
      expect(account.realNameVerifiedAt!.getTime()).toBeGreaterThan(Date.now() - 60_000);
      const [approved] = await auditFor(reviewCase.id, 'review.approved');
      expect(approved).toMatchObject({ outcome: 'success', actor_type: 'operator', actor_id: operator.id, subject_type: 'review_case' });
      expect(approved.details).toMatchObject({ accountId: applicant.account.id, reviewerId: operator.id });
      expect(await app.context.reviews.latestDecisionFor(applicant.account.id)).toMatchObject({ caseId: reviewCase.id, outcome: 'approved', reason: null });
    });

    test('when a reviewer rejects without a reason, then the case page comes back with 400 and the reason field message, and nothing changes', async () => {
      const applicant = await createApplicant(app);
      const reviewCase = await openCase(app, applicant.account.id);
      const { agent } = await signedIn();
      const casePage = await agent.follow(`${app.url}/console/cases/${reviewCase.id}`);
      const page = await agent.submit(`${app.url}/console/cases/${reviewCase.id}/reject`, { csrf: hiddenInput(casePage.body, 'csrf')!, reason: '   ' });
      expect(page.status).toBe(400);
      expect(page.body).toMatch(/id="reject-reason-error">请填写不通过的原因（申请人将看到该原因）</);
      expect(await statusOf(applicant.account.id)).toBe('pending_review');
    });

    test('when a reviewer rejects with a reason, then the account is rejected, the reason is readable for the user, and review.rejected is audited with it', async () => {
      const applicant = await createApplicant(app);
      const reviewCase = await openCase(app, applicant.account.id);
      const { agent, operator } = await signedIn();
      const casePage = await agent.follow(`${app.url}/console/cases/${reviewCase.id}`);
      const reason = '证件背面图片模糊，请重新拍摄上传。';
      const done = await agent.submit(`${app.url}/console/cases/${reviewCase.id}/reject`, { csrf: hiddenInput(casePage.body, 'csrf')!, reason });
      expect(done.body).toContain(`已审核不通过：${applicant.loginName}`);
      expect(await statusOf(applicant.account.id)).toBe('rejected');
      expect(await app.context.reviews.latestDecisionFor(applicant.account.id)).toMatchObject({ caseId: reviewCase.id, outcome: 'rejected', reason });
      const [rejected] = await auditFor(reviewCase.id, 'review.rejected');
      expect(rejected).toMatchObject({ actor_id: operator.id, details: { accountId: applicant.account.id, reviewerId: operator.id, reason } });
    });

    test('when a case was decided already, then a second decision is refused with 409 and the first one stands', async () => {
      const applicant = await createApplicant(app);
      const reviewCase = await openCase(app, applicant.account.id);
      const { agent } = await signedIn();
      const casePage = await agent.follow(`${app.url}/console/cases/${reviewCase.id}`);
      const csrf = hiddenInput(casePage.body, 'csrf')!;
      await agent.submit(`${app.url}/console/cases/${reviewCase.id}/approve`, { csrf });
      const again = await agent.submit(`${app.url}/console/cases/${reviewCase.id}/reject`, { csrf, reason: '重复处理' });
      expect(again.status).toBe(409);
      expect(alertText(again.body)).toBe('该申请已被处理，请返回审核队列');
      expect(await statusOf(applicant.account.id)).toBe('reviewed');
    });
  });
});
