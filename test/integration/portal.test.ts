/**
 * The portal (首页, 我的信息) as a first-party OIDC client of the OP: sign-in through the two login
 * windows, SSO with business systems, My Information, password change, and both kinds of logout.
 */
import sharp from 'sharp';
import { createNaturalAccount, createLegalAccount, credentials, uniqueIp, type CreatedAccount } from '../support/accounts.js';
import { uniqueName, uniqueResidentId } from '../support/identities.js';
import { TestRelyingParty } from '../support/oidc-rp.js';
import { outboxCode } from '../support/sms-outbox.js';
import { startTestApp, unique, uniqueMobile, STRONG_PASSWORD, type TestApp } from '../support/test-app.js';
import { alertText, hiddenInput, UserAgent } from '../support/user-agent.js';

describe('the portal and My Information', () => {
  let app: TestApp;
  const rp = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-9p');

  beforeAll(async () => {
    await rp.listen();
    app = await startTestApp({ clients: [rp.clientEntry()], env: { ADDRESS_LOGIN_FAILURES: '100000' } });
    await rp.discover(app.url);
  });
  afterAll(async () => {
    await app?.close();
    await rp.close();
  });

  /** Signs in at the portal through the OP's login page; returns My Information's HTML. */
  async function portalSignIn(agent: UserAgent, user: CreatedAccount, loginType = user.window) {
    const login = await agent.follow(`${app.url}/portal/login?login_type=${loginType}`);
    expect(login.url).toContain('/interaction/');
    const csrf = hiddenInput(login.body, 'csrf')!;
    const done = await agent.submit(`${login.url.split('?')[0]}/login`, { csrf, ...credentials(user) });
    return done;
  }

  async function postForm(agent: UserAgent, path: string, form: Record<string, string>) {
    const page = await agent.request(`${app.url}/portal/me`);
    return agent.request(`${app.url}${path}`, { form: { csrf: hiddenInput(page.body, 'csrf')!, ...form } });
  }

  test('when a visitor opens My Information, then they are sent to sign in and come back to it afterwards', async () => {
    const user = await createNaturalAccount(app);
    const agent = new UserAgent();
    const first = await agent.request(`${app.url}/portal/me`);
    expect(first.status).toBe(302);
    expect(first.location).toBe(`${app.url}/portal/login?return_to=%2Fportal%2Fme`);
    const done = await portalSignIn(agent, user);
    expect(done.url).toBe(`${app.url}/portal/me`);
    expect(done.status).toBe(200);
    expect(done.body).toContain(user.loginName);
    expect(done.body).toContain('未实名认证');
  });

  test('when someone signed in at the portal opens a business system, then SSO signs them in without a password', async () => {
    const user = await createLegalAccount(app);
    const agent = new UserAgent();
    await portalSignIn(agent, user);
    const request = await rp.authorizationRequest();
    const page = await agent.follow(request.url, rp.redirectUri);
    expect(page.url.startsWith(rp.redirectUri)).toBe(true);
    const tokens = await rp.callback(page.url, request);
    expect(tokens.claims()!.sub).toBe(user.account.id);
  });

  test('when the portal is asked to return somewhere off-site, then it returns to My Information instead', async () => {
    const user = await createNaturalAccount(app);
    const agent = new UserAgent();
    await agent.request(`${app.url}/portal/login?return_to=${encodeURIComponent('//evil.example/x')}`);
    const login = await agent.follow(`${app.url}/portal/login?return_to=${encodeURIComponent('https://evil.example/')}`);
    const done = await agent.submit(`${login.url.split('?')[0]}/login`, { csrf: hiddenInput(login.body, 'csrf')!, ...credentials(user) });
    expect(done.url).toBe(`${app.url}/portal/me`);
  });

  test('when a natural person saves their information, then every field is stored, the document is kept encrypted, and a mismatch with the register is reported', async () => {
    const user = await createNaturalAccount(app);
    const agent = new UserAgent();
    await portalSignIn(agent, user);
    const documentNumber = uniqueResidentId();
    const saved = await postForm(agent, '/portal/me/profile', {
      name: '张小三', gender: 'female', ethnicity: '汉族', position: '工程师', birthDate: '1949-12-31', email: 'zhang@example.cn',
      landline: '010-88659000', identityType: 'mainland', documentType: 'resident_id', documentNumber: documentNumber.toLowerCase(),
      documentValidUntil: '', documentLongTerm: 'on', address: '北京市海淀区',
    });
    expect(saved.status).toBe(302);
    expect(saved.location).toBe(`${app.url}/portal/me?saved=profile&verification=mismatch`);
    const account = (await app.context.accounts.findById(user.account.id))!;
    expect(account.natural).toMatchObject({
      name: '张小三', gender: 'female', ethnicity: '汉族', position: '工程师', birthDate: '1949-12-31', landline: '010-88659000',
      identityType: 'mainland', documentType: 'resident_id', documentNumberMasked: `${documentNumber.slice(0, 3)}***********${documentNumber.slice(-4)}`,
      documentLongTerm: true, address: '北京市海淀区',
    });
    expect(account.email).toBe('zhang@example.cn');
    expect(account.realNameStatus).toBe('unverified');
    const row = await app.context.db('natural_profiles').where({ account_id: user.account.id }).first();
    expect(row.document_number_encrypted).not.toContain(documentNumber.slice(0, 6));
    const page = await agent.request(saved.location!);
    expect(page.body).toContain('个人信息已保存');
    expect(page.body).toContain('实名认证未通过');
    expect(page.body).not.toContain(documentNumber);
  });

  test('when a person saves a name and document the register knows, then the account is verified at once and the identity locks', async () => {
    const user = await createNaturalAccount(app);
    const person = { name: uniqueName(), documentNumber: uniqueResidentId() };
    await app.context.referenceRegister.upsert([{ name: person.name, documentType: 'resident_id', documentNumber: person.documentNumber }]);
    const agent = new UserAgent();
    await portalSignIn(agent, user);
    const saved = await postForm(agent, '/portal/me/profile', { name: person.name, identityType: 'mainland', documentType: 'resident_id', documentNumber: person.documentNumber });
    expect(saved.location).toBe(`${app.url}/portal/me?saved=profile&verification=verified`);
    const page = await agent.request(saved.location!);
    expect(page.body).toContain('已实名认证');
    expect(page.body).toContain('实名认证成功');
    expect(page.body).not.toContain('id="documentNumber"');
    expect((await app.context.accounts.findById(user.account.id))!.realNameVerifiedAt).toBeInstanceOf(Date);
  });

  test('when fields are wrong, then each gets its own message, the status is 400, and what was typed stays', async () => {
    const user = await createNaturalAccount(app);
    const agent = new UserAgent();
    await portalSignIn(agent, user);
    const response = await postForm(agent, '/portal/me/profile', {
      name: '', gender: 'x', birthDate: '2999-01-01', email: 'not-an-email', landline: 'abc', identityType: 'mainland',
      documentType: 'passport', documentNumber: '123', documentValidUntil: '2024-02-30', address: '地址',
    });
    expect(response.status).toBe(400);
    for (const [field, message] of [
      ['name', '请输入姓名'], ['gender', '请从列表中选择'], ['birthDate', '请输入正确的出生日期'], ['email', '请输入正确的电子邮箱'],
      ['landline', '请输入正确的固定电话号码'], ['documentType', '证件类型与身份类型不符'], ['documentValidUntil', '请输入正确的日期'],
    ]) {
      expect(response.body).toMatch(new RegExp(`id="${field}-error">${message}`));
    }
    expect(response.body).toContain('value="地址"');
    expect((await app.context.accounts.findById(user.account.id))!.natural!.name).toBe('张三');
  });

  test('when a document number fails its check character, then the field says so', async () => {
    const user = await createNaturalAccount(app);
    const agent = new UserAgent();
    await portalSignIn(agent, user);
    const response = await postForm(agent, '/portal/me/profile', { name: '张三', identityType: 'mainland', documentType: 'resident_id', documentNumber: '110105194912310021' });
    expect(response.status).toBe(400);
    expect(response.body).toMatch(/id="documentNumber-error">证件号码校验位不正确/);
  });

  test('when a verified person saves a different name or document, then the identity stays as verified and other fields change', async () => {
    const documentNumber = uniqueResidentId();
    const user = await createNaturalAccount(app, { realNameVerified: true, documentNumber });
    const agent = new UserAgent();
    const me = await portalSignIn(agent, user);
    expect(me.body).toContain('已实名认证');
    expect(me.body).toContain('姓名与证件信息不能修改');
    expect(me.body).not.toContain('id="documentNumber"');
    const saved = await postForm(agent, '/portal/me/profile', { name: '李四', identityType: 'other', documentType: 'passport', documentNumber: 'E12345678', position: '主任' });
    expect(saved.status).toBe(302);
    const account = (await app.context.accounts.findById(user.account.id))!;
    expect(account.natural).toMatchObject({ name: '张三', documentType: 'resident_id', documentNumberMasked: `${documentNumber.slice(0, 3)}***********${documentNumber.slice(-4)}`, position: '主任' });
  });

  test('when a form is posted without the CSRF token, then it is refused with 403 and nothing changes', async () => {
    const user = await createNaturalAccount(app);
    const agent = new UserAgent();
    await portalSignIn(agent, user);
    const response = await agent.request(`${app.url}/portal/me/profile`, { form: { name: '攻击者' } });
    expect(response.status).toBe(403);
    expect((await app.context.accounts.findById(user.account.id))!.natural!.name).toBe('张三');
  });

  test('when the password is changed, then the old one is refused at the next sign-in, the OP sessions, refresh tokens and other portal sessions end, and it is audited', async () => {
    const user = await createNaturalAccount(app);
    const agent = new UserAgent();
    await portalSignIn(agent, user);
    const rpTokens = await rp.signIn(agent, credentials(user), { scope: 'openid offline_access', prompt: 'consent' });
    expect(rpTokens.refresh_token).toBeDefined();

    const wrong = await postForm(agent, '/portal/me/password', { currentPassword: 'Not-The-Password-1', newPassword: 'New-Password-2024', confirmPassword: 'New-Password-2024' });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatch(/id="currentPassword-error">当前密码不正确/);
    const mismatch = await postForm(agent, '/portal/me/password', { currentPassword: STRONG_PASSWORD, newPassword: 'New-Password-2024', confirmPassword: 'New-Password-2025' });
    expect(mismatch.body).toMatch(/id="confirmPassword-error">两次输入的新密码不一致/);
    const weak = await postForm(agent, '/portal/me/password', { currentPassword: STRONG_PASSWORD, newPassword: 'short', confirmPassword: 'short' });
    expect(weak.body).toMatch(/id="newPassword-error">密码至少 8 位/);

    // The same person is signed in at the portal in another browser too.
    const elsewhere = new UserAgent();
    await portalSignIn(elsewhere, user);
    expect((await elsewhere.request(`${app.url}/portal/me`)).status).toBe(200);

    const changed = await postForm(agent, '/portal/me/password', { currentPassword: STRONG_PASSWORD, newPassword: 'New-Password-2024', confirmPassword: 'New-Password-2024' });
    expect(changed.status).toBe(302);
    // The other browser's portal session ended; this one goes on.
    expect((await elsewhere.request(`${app.url}/portal/me`)).status).toBe(302);
    expect((await agent.request(`${app.url}/portal/me`)).status).toBe(200);
    await expect(rp.refresh(rpTokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await app.context.db('audit_events').where({ event: 'password.changed', subject_id: user.account.id }).first()).toBeDefined();

    // The OP session is gone: the business system asks for a password again, and only the new one works.
    const request = await rp.authorizationRequest();
    const login = await agent.follow(request.url, rp.redirectUri);
    expect(login.url).toContain('/interaction/');
    const old = await agent.submit(`${login.url.split('?')[0]}/login`, { csrf: hiddenInput(login.body, 'csrf')!, ...credentials(user) });
    expect(alertText(old.body)).toContain('登录名或密码错误');
    const fresh = await rp.signIn(new UserAgent(), { ...credentials(user), password: 'New-Password-2024' });
    expect(fresh.claims()!.sub).toBe(user.account.id);
  });

  test('when the user signs out at the portal, then the portal session ends and the OP asks to end its session too', async () => {
    const user = await createNaturalAccount(app);
    const agent = new UserAgent();
    await portalSignIn(agent, user);
    const home = await agent.request(`${app.url}/`);
    expect(home.body).toContain('退出登录');
    const out = await agent.request(`${app.url}/portal/logout`, { form: { csrf: hiddenInput(home.body, 'csrf')! } });
    expect(out.status).toBe(302);
    expect(out.location).toContain('/session/end?');
    expect(out.location).toContain('id_token_hint=');
    expect((await agent.request(`${app.url}/portal/me`)).status).toBe(302);
  });

  test('when the OP session ends from a business system, then a back-channel logout ends the portal session too', async () => {
    const user = await createNaturalAccount(app);
    const agent = new UserAgent();
    await portalSignIn(agent, user);
    const tokens = await rp.signIn(agent, credentials(user));
    const endSession = await agent.follow(`${app.url}/session/end?id_token_hint=${tokens.id_token}&post_logout_redirect_uri=${encodeURIComponent(rp.postLogoutRedirectUri)}`);
    const confirm = await agent.submit(`${app.url}/session/end/confirm`, { xsrf: hiddenInput(endSession.body, 'xsrf')!, logout: 'yes' }, rp.postLogoutRedirectUri);
    expect(confirm.url.startsWith(rp.postLogoutRedirectUri)).toBe(true);
    expect(await app.context.db('portal_sessions').where({ account_id: user.account.id }).count({ n: '*' })).toEqual([{ n: '0' }]);
    expect((await agent.request(`${app.url}/portal/me`)).status).toBe(302);
  });

  test('when a forged logout token is posted to the portal, then it is refused and no session ends', async () => {
    const user = await createNaturalAccount(app);
    const agent = new UserAgent();
    await portalSignIn(agent, user);
    const forged = await new UserAgent().request(`${app.url}/portal/backchannel-logout`, { form: { logout_token: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' } });
    expect(forged.status).toBe(400);
    expect((await agent.request(`${app.url}/portal/me`)).status).toBe(200);
  });

  test('when the home page is opened signed out, then it offers both login windows, online services and the service items', async () => {
    const home = await new UserAgent().request(`${app.url}/`);
    expect(home.status).toBe(200);
    expect(home.body).toContain('href="/portal/login?login_type=natural"');
    expect(home.body).toContain('href="/portal/login?login_type=legal"');
    expect(home.body).toContain('在线办事');
    expect(home.body).toContain('服务事项');
    expect(home.body).toContain(`测试系统 ${rp.clientId}`);
    expect(home.body).not.toContain('科技部政务服务平台</a>\n'); // the portal itself is not listed as a business system
  });
});

describe('manual verification from My Information', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ env: { ADDRESS_LOGIN_FAILURES: '100000' } });
  });
  afterAll(async () => {
    await app?.close();
  });

  const png = () => sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 200, g: 30, b: 30 } } }).png().toBuffer();

  async function signedIn(user: CreatedAccount) {
    const agent = new UserAgent();
    const login = await agent.follow(`${app.url}/portal/login?login_type=natural`);
    const me = await agent.submit(`${login.url.split('?')[0]}/login`, { csrf: hiddenInput(login.body, 'csrf')!, ...credentials(user) });
    return { agent, csrf: hiddenInput(me.body, 'csrf')!, page: me.body };
  }

  async function upload(agent: UserAgent, csrf: string, files: { front?: Buffer; back?: Buffer; name?: string }) {
    const form = new FormData();
    form.set('csrf', csrf);
    if (files.front) form.set('front', new Blob([files.front]), files.name ?? 'front.png');
    if (files.back) form.set('back', new Blob([files.back]), files.name ?? 'back.png');
    return agent.request(`${app.url}/portal/me/upload`, { multipart: form });
  }

  async function operatorId(): Promise<string> {
    const { operator } = await app.context.operators.create({ username: unique('rev'), password: 'Reviewer-Pass-2024', role: 'reviewer' }, { type: 'cli' });
    return operator.id;
  }

  test('when an unverified person uploads both sides, then the case is pending review, and an approval makes the account 已审核认证', async () => {
    const user = await createNaturalAccount(app, { documentNumber: uniqueResidentId() });
    const { agent, csrf, page } = await signedIn(user);
    expect(page).toContain('上传自然人信息');
    const response = await upload(agent, csrf, { front: await png(), back: await png() });
    expect(response.status).toBe(302);
    expect(response.location).toBe(`${app.url}/portal/me?saved=upload`);
    const pending = await agent.request(response.location!);
    expect(pending.body).toContain('审核中');
    expect(pending.body).toContain('您的证件已提交人工审核');

    const [reviewCase] = await app.context.db('review_cases').where({ account_id: user.account.id }).select('id');
    await app.context.reviews.approve(reviewCase.id, { id: await operatorId() });
    const approved = await agent.request(`${app.url}/portal/me`);
    expect(approved.body).toContain('已审核认证');
    expect(approved.body).not.toContain('上传自然人信息');
  });

  test('when the reviewer rejects, then My Information shows 审核未通过 with the reason, and the person may upload again', async () => {
    const user = await createNaturalAccount(app, { documentNumber: uniqueResidentId() });
    const { agent, csrf } = await signedIn(user);
    await upload(agent, csrf, { front: await png(), back: await png() });
    const [reviewCase] = await app.context.db('review_cases').where({ account_id: user.account.id }).select('id');
    await app.context.reviews.reject(reviewCase.id, '照片模糊，请重新拍摄', { id: await operatorId() });
    const page = await agent.request(`${app.url}/portal/me`);
    expect(page.body).toContain('审核未通过');
    expect(page.body).toContain('原因：照片模糊，请重新拍摄');
    expect(page.body).toContain('提交人工审核');
  });

  test('when a file is not an image or a side is missing, then the page says which field and nothing is stored', async () => {
    const user = await createNaturalAccount(app, { documentNumber: uniqueResidentId() });
    const { agent, csrf } = await signedIn(user);
    const text = await upload(agent, csrf, { front: Buffer.from('not an image at all'), back: await png(), name: 'photo.jpg' });
    expect(text.status).toBe(415);
    expect(text.body).toContain('只能上传 jpg、jpeg 或 png 格式的图片');
    const missing = await upload(agent, csrf, { front: await png() });
    expect(missing.status).toBe(400);
    expect(missing.body).toContain('请选择要上传的图片');
    expect(await app.context.db('uploads').where({ owner_account_id: user.account.id }).count({ n: '*' })).toEqual([{ n: '0' }]);
    expect((await app.context.accounts.findById(user.account.id))!.realNameStatus).toBe('unverified');
  });
});

describe('changing the reserved mobile on My Information', () => {
  let app: TestApp;
  const CAPTCHA = 'mob1';

  beforeAll(async () => {
    app = await startTestApp({ env: { ADDRESS_LOGIN_FAILURES: '100000', CAPTCHA_TEST_ANSWER: CAPTCHA, TRUST_PROXY: 'true' } });
  });
  afterAll(async () => {
    await app?.close();
  });

  async function signedIn(user: CreatedAccount) {
    const agent = new UserAgent({ 'x-forwarded-for': uniqueIp() });
    const login = await agent.follow(`${app.url}/portal/login?login_type=natural`);
    await agent.submit(`${login.url.split('?')[0]}/login`, { csrf: hiddenInput(login.body, 'csrf')!, ...credentials(user) });
    return agent;
  }

  async function post(agent: UserAgent, form: Record<string, string>) {
    const page = await agent.request(`${app.url}/portal/me`);
    const captchaId = /name="captchaId" value="([^"]+)"/.exec(page.body)![1]!;
    return agent.request(`${app.url}/portal/me/mobile`, { form: { csrf: hiddenInput(page.body, 'csrf')!, captchaId, captcha: CAPTCHA, ...form } });
  }

  test('when codes to the old and the new number are entered, then the reserved mobile changes, verified, and it is audited', async () => {
    const user = await createNaturalAccount(app);
    const oldMobile = user.account.mobile;
    const newMobile = uniqueMobile();
    const agent = await signedIn(user);
    const sentOld = await post(agent, { action: 'send_old', newMobile });
    expect(sentOld.status).toBe(200);
    expect(sentOld.body).toContain(`验证码已发送至原手机 ${oldMobile.slice(0, 3)}****${oldMobile.slice(-4)}`);
    const sentNew = await post(agent, { action: 'send_new', newMobile });
    expect(sentNew.body).toContain('验证码已发送至新手机');

    const wrong = await post(agent, { action: 'change', newMobile, oldCode: '000000', newCode: await outboxCode(app, newMobile) });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatch(/id="oldCode-error">短信验证码错误/);
    expect((await app.context.accounts.findById(user.account.id))!.mobile).toBe(oldMobile);

    const changed = await post(agent, { action: 'change', newMobile, oldCode: await outboxCode(app, oldMobile), newCode: await outboxCode(app, newMobile) });
    expect(changed.status).toBe(302);
    expect(changed.location).toBe(`${app.url}/portal/me?saved=mobile`);
    const account = (await app.context.accounts.findById(user.account.id))!;
    expect(account.mobile).toBe(newMobile);
    expect(account.mobileVerified).toBe(true);
    const audit = await app.context.db('audit_events').where({ event: 'mobile.changed', subject_id: user.account.id }).first();
    expect(JSON.stringify(audit.details)).not.toContain(newMobile);
  });

  test('when the new number is the current one or not a mobile, or the captcha is wrong, then the field says so and no code is sent', async () => {
    const user = await createNaturalAccount(app);
    const agent = await signedIn(user);
    const same = await post(agent, { action: 'send_new', newMobile: user.account.mobile });
    expect(same.status).toBe(400);
    expect(same.body).toMatch(/id="newMobile-error">新手机号码与当前预留手机号相同/);
    const bad = await post(agent, { action: 'send_new', newMobile: '12345' });
    expect(bad.body).toMatch(/id="newMobile-error">请输入正确的 11 位手机号码/);
    const page = await agent.request(`${app.url}/portal/me`);
    const captchaWrong = await agent.request(`${app.url}/portal/me/mobile`, {
      form: { csrf: hiddenInput(page.body, 'csrf')!, captchaId: /name="captchaId" value="([^"]+)"/.exec(page.body)![1]!, captcha: 'nope', action: 'send_old' },
    });
    expect(captchaWrong.status).toBe(400);
    expect(await app.context.smsOutbox.recent({ mobile: user.account.mobile, limit: 5 })).toEqual([]);
  });
});
