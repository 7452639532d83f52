/**
 * 火炬中心账号检索 over HTTP, as a browser without JavaScript drives it: for every outcome of the
 * Torch Center import (E1–E4, P1–P4, conflict) and for those never in the legacy system, the answer
 * in the guide's words (login name, window, password, links); what it must not tell (the E4 legal
 * account, P4's login name unmasked, anything before the SMS code proves the mobile); captchas, bad
 * input, rate limits and the audit log.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TORCH_LOOKUP_CAPTCHA_PURPOSE, TORCH_LOOKUP_LIMITS } from '../../src/migration/torch/torch-lookup.service.js';
import { createLegalAccount, createNaturalAccount, uniqueIp, uniqueUscc } from '../support/accounts.js';
import { outboxCode } from '../support/sms-outbox.js';
import { startTestApp, unique, uniqueMobile, type TestApp } from '../support/test-app.js';
import { insertTorchOutcome } from '../support/torch.js';
import { alertText, fieldNote, hiddenInput, UserAgent } from '../support/user-agent.js';

const CAPTCHA_ANSWER = 'trch';

const stripTags = (html: string) => html.replace(/<[^>]*>/g, '').replace(/\s+/g, ' ').trim();

function byId(html: string, id: string): string | undefined {
  const match = new RegExp(`id="${id}"[^>]*>([\\s\\S]*?)</(p|dd|h2)>`).exec(html);
  return match ? stripTags(match[1]!) : undefined;
}

/** The answer as the page shows it. */
function answerOf(html: string) {
  const alert = /<div class="alert[^"]*" role="status" id="answer">([\s\S]*?)<\/div>/.exec(html)?.[1] ?? '';
  const linkBlock = /id="answer-links">([\s\S]*?)<\/div>/.exec(html)?.[1] ?? '';
  return {
    title: stripTags(/<h2[^>]*>([\s\S]*?)<\/h2>/.exec(alert)?.[1] ?? ''),
    result: stripTags(/<p>([\s\S]*?)<\/p>/.exec(alert)?.[1] ?? ''),
    loginName: byId(html, 'answer-login-name'),
    window: byId(html, 'answer-window'),
    password: byId(html, 'answer-password'),
    steps: byId(html, 'answer-steps'),
    note: byId(html, 'answer-note'),
    reason: byId(html, 'answer-reason'),
    links: [...linkBlock.matchAll(/href="([^"]*)">([^<]*)</g)].map((m) => [m[2]!, m[1]!.replace(/&amp;/g, '&')]),
  };
}

const LEGAL_LOGIN = ['前往法人登录', '/portal/login?login_type=legal'];
const NATURAL_LOGIN = ['前往自然人登录', '/portal/login?login_type=natural'];
const RECOVER = ['忘记密码', '/recovery'];
const REGISTER = ['立即注册账号', '/register'];
const APPEAL = ['自然人申诉找回密码', '/recovery/appeal/natural'];
const OLD_PASSWORD = '原火炬中心密码（密码不变）';
const OWN_PASSWORD = '您在科技部政务服务平台自己设置的密码';

describe('火炬中心账号检索 (the Torch Center account lookup) over HTTP', () => {
  let app: TestApp;

  beforeAll(async () => {
    // Each test's agent has an address of its own (X-Forwarded-For), so per-address limits stay per test.
    app = await startTestApp({ env: { TRUST_PROXY: 'true', CAPTCHA_TEST_ANSWER: CAPTCHA_ANSWER } });
  });
  afterAll(async () => {
    await app?.close();
  });

  const newAgent = () => new UserAgent({ 'x-forwarded-for': uniqueIp() });

  async function enterpriseLookup(uscc: string, options: { agent?: UserAgent; captcha?: string; lang?: string } = {}) {
    const agent = options.agent ?? newAgent();
    const page = await agent.request(`${app.url}/torch/lookup/enterprise${options.lang ? `?lang=${options.lang}` : ''}`);
    expect(page.status).toBe(200);
    return agent.request(`${app.url}/torch/lookup/enterprise`, {
      form: {
        csrf: hiddenInput(page.body, 'csrf') ?? '',
        captchaId: hiddenInput(page.body, 'captchaId') ?? '',
        uscc,
        captcha: options.captcha ?? CAPTCHA_ANSWER,
      },
    });
  }

  /** The personal form: 获取验证码 (a form post, as without JavaScript), then 检索 with the code. */
  async function personalLookup(mobile: string, options: { agent?: UserAgent; code?: (sent: string) => string; skipCode?: boolean } = {}) {
    const agent = options.agent ?? newAgent();
    const page = await agent.request(`${app.url}/torch/lookup/personal`);
    expect(page.status).toBe(200);
    const csrf = hiddenInput(page.body, 'csrf') ?? '';
    let sent = '';
    if (!options.skipCode) {
      const asked = await agent.request(`${app.url}/torch/lookup/personal`, {
        form: { csrf, action: 'send_sms', mobile, captchaId: hiddenInput(page.body, 'captchaId') ?? '', captcha: CAPTCHA_ANSWER, smsCode: '' },
      });
      expect(asked.status).toBe(200);
      expect(fieldNote(asked.body, 'smsCode')?.kind).toBe('ok');
      sent = await outboxCode(app, mobile);
    }
    const smsCode = options.code ? options.code(sent) : sent;
    return agent.request(`${app.url}/torch/lookup/personal`, { form: { csrf, action: 'lookup', mobile, smsCode } });
  }

  describe('enterprise accounts', () => {
    it('when the import kept the enterprise at its USCC (E1), then the answer says: keep using the USCC and the old password at the legal window, verify, recover on a wrong password', async () => {
      const uscc = uniqueUscc();
      const migrated = await createLegalAccount(app, { loginName: uscc, uscc });
      await insertTorchOutcome(app, { kind: 'enterprise', legacyLogin: uscc, case: 'E1', accountId: migrated.account.id, loginName: uscc, window: 'legal' });

      const response = await enterpriseLookup(uscc.toLowerCase());
      expect(response.status).toBe(200);
      expect(answerOf(response.body)).toEqual({
        title: '继续使用原火炬中心账号和密码',
        result: `查询结果：在科技部政务服务平台继续使用原火炬中心用户名（统一社会信用代码）${uscc} 和密码。`,
        loginName: uscc,
        window: '法人登录',
        password: OLD_PASSWORD,
        steps: '直接用原有账号密码在科技部政务服务平台法人登录窗口登录，再进行实名认证，认证后可以进入火炬中心高企认定、科小企评价等相关业务系统。',
        note: '如果科技部政务服务平台提示登录名或密码错误的，说明您已经登录成功并修改过密码，请再进行密码找回操作。',
        reason: undefined,
        links: [LEGAL_LOGIN, RECOVER],
      });
      expect(response.body).toContain(`统一社会信用代码：${uscc}`);
    });

    it('when the USCC was already the login name of the unit’s platform account (E2), then the answer says: log in with the USCC at the legal window with your own password, or recover it', async () => {
      const uscc = uniqueUscc();
      const existing = await createLegalAccount(app, { loginName: uscc, uscc });
      await insertTorchOutcome(app, { kind: 'enterprise', legacyLogin: uscc, case: 'E2', accountId: existing.account.id, loginName: uscc, window: 'legal' });

      const answer = answerOf((await enterpriseLookup(uscc)).body);
      expect(answer).toEqual({
        title: '已注册账号，登录名为统一社会信用代码',
        result: `查询结果：在科技部政务服务平台已注册账号，且登录名为统一社会信用代码 ${uscc}。`,
        loginName: uscc,
        window: '法人登录',
        password: OWN_PASSWORD,
        steps: '直接前往科技部政务服务平台用统一社会信用代码在法人登录窗口登录，密码通过忘记密码找回，找回后再进行实名认证，认证后可以进入火炬中心高企认定、科小企评价等相关业务系统。',
        note: undefined,
        reason: '原因：这是因为在科技部政务服务平台用信用代码为登录名注册过账号，但密码是自己注册时设置的，所以需要用自己设置的密码或者忘记密码找回后再登录。',
        links: [LEGAL_LOGIN, RECOVER],
      });
    });

    it('when the USCC was taken by someone else’s account (E3), then the answer names HJ_ + USCC at the legal window with the old password, and nothing of the other account', async () => {
      const uscc = uniqueUscc();
      const squatter = await createNaturalAccount(app, { loginName: uscc, name: '李四' });
      const migrated = await createLegalAccount(app, { loginName: `HJ_${uscc}`, uscc });
      await insertTorchOutcome(app, { kind: 'enterprise', legacyLogin: uscc, case: 'E3', accountId: migrated.account.id, loginName: `HJ_${uscc}`, window: 'legal' });

      const response = await enterpriseLookup(uscc);
      expect(answerOf(response.body)).toEqual({
        title: '法人账号登录名为“HJ_”加统一社会信用代码',
        result: `查询结果：在科技部政务服务平台的法人账号登录名为“HJ_”加原火炬中心用户名（统一社会信用代码），即 HJ_${uscc}，同时密码不变。`,
        loginName: `HJ_${uscc}`,
        window: '法人登录',
        password: OLD_PASSWORD,
        steps: '请直接在科技部政务服务平台法人登录窗口登录，进行实名认证，认证完成后，可以进入相关业务系统。',
        note: undefined,
        reason: '原因：虽然该企业之前在政务服务平台没有注册过账号，但是该企业的统一社会信用代码在科技部政务服务平台上已经被某人注册成了自然人账号（或其他账号）的登录名。',
        links: [LEGAL_LOGIN, RECOVER],
      });
      expect(response.body).not.toContain('李四');
      expect(response.body).not.toContain(squatter.account.mobile);
    });

    it('when the unit already had a legal account under another login name (E4), then the answer sends the user to the natural window with the old password, and never names the legal account', async () => {
      const uscc = uniqueUscc();
      const legalLogin = unique('legal');
      const legal = await createLegalAccount(app, { loginName: legalLogin, uscc, orgName: `火炬示范科技有限公司${unique('')}` });
      const migrated = await createNaturalAccount(app, { loginName: uscc });
      await insertTorchOutcome(app, { kind: 'enterprise', legacyLogin: uscc, case: 'E4', accountId: migrated.account.id, loginName: uscc, window: 'natural' });

      const response = await enterpriseLookup(uscc);
      expect(answerOf(response.body)).toEqual({
        title: '原火炬中心账号为自然人账号，已获得企业授权',
        result: `查询结果：在科技部政务服务平台使用原火炬中心用户名（统一社会信用代码）为自然人账号，登录名为 ${uscc}，同时密码不变。`,
        loginName: uscc,
        window: '自然人登录',
        password: OLD_PASSWORD,
        steps: '直接用原有账号密码在科技部政务服务平台自然人登录窗口登录，进行实名认证，认证完成后，该账号自动获得了该企业的高企认定和科小企评价等业务系统授权，可以进入高企认定和科小企评价业务系统。',
        note: '如想知道法人账号用户名及密码，请通过忘记密码功能获取相关联系人信息。',
        reason: '原因：这是因为该企业之前在政务服务平台注册过账号，而该账号登录名不是统一社会信用代码，原有火炬中心账号系统自动授权为自然人账号。',
        links: [NATURAL_LOGIN, RECOVER],
      });
      expect(response.body).not.toContain(legalLogin);
      expect(response.body.toLowerCase()).not.toContain(legalLogin.toLowerCase());
      expect(response.body).not.toContain(legal.account.legal!.orgName);
      expect(response.body).not.toContain(legal.account.mobile);
    });

    it('when the legacy record could not be placed (conflict), then the answer asks the user to call 技术支持 and offers no sign-in', async () => {
      const uscc = uniqueUscc();
      await insertTorchOutcome(app, { kind: 'enterprise', legacyLogin: uscc, case: 'conflict', reason: 'hj_name_taken' });

      const response = await enterpriseLookup(uscc);
      expect(answerOf(response.body)).toEqual({
        title: '您的账号需要运营人员处理',
        result: '查询结果：您的原火炬中心账号在转移到科技部政务服务平台时需要运营人员处理，暂时不能直接登录。',
        loginName: undefined,
        window: undefined,
        password: undefined,
        steps: '请致电科技部政务服务平台技术支持 010-88659000，由运营人员为您处理。',
        note: undefined,
        reason: undefined,
        links: [],
      });
      expect(response.body).not.toContain('hj_name_taken');
    });

    it('when a legacy USCC with a wrong check character was kept as a conflict, then looking it up answers the conflict instead of refusing the code', async () => {
      const valid = uniqueUscc();
      const alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY';
      const wrongCheck = valid.slice(0, 17) + [...alphabet].find((c) => c !== valid[17])!;
      await insertTorchOutcome(app, { kind: 'enterprise', legacyLogin: wrongCheck, case: 'conflict', reason: 'uscc_check_character' });

      const response = await enterpriseLookup(wrongCheck);
      expect(response.status).toBe(200);
      expect(answerOf(response.body).title).toBe('您的账号需要运营人员处理');
    });

    it('when the enterprise was never in the legacy system and has no platform account (1-1, first case), then the answer says: register a legal account, then verify', async () => {
      const response = await enterpriseLookup(uniqueUscc());
      expect(response.status).toBe(200);
      expect(answerOf(response.body)).toEqual({
        title: '未注册账号：请注册法人单位账号',
        result: '查询结果：该企业未在火炬中心业务办理平台注册过账号，也未在科技部政务服务平台注册过法人账号。',
        loginName: undefined,
        window: undefined,
        password: undefined,
        steps: '需要在政务平台注册法人单位账号，注册完成后进行实名认证，认证后可以进入火炬中心高企认定、科小企评价等相关业务系统。',
        note: undefined,
        reason: undefined,
        links: [REGISTER],
      });
    });

    it('when the enterprise was never in the legacy system but has a platform legal account (1-1, second case), then the answer says: log in at the legal window and verify, without naming the account', async () => {
      const uscc = uniqueUscc();
      const existing = await createLegalAccount(app, { uscc });

      const response = await enterpriseLookup(uscc);
      expect(answerOf(response.body)).toEqual({
        title: '已注册法人账号：请登录并实名认证',
        result: '查询结果：该企业未在火炬中心业务办理平台注册过账号，已在科技部政务服务平台注册过法人账号。',
        loginName: undefined,
        window: '法人登录',
        password: OWN_PASSWORD,
        steps: '直接登录账号进行实名认证，认证后可以进入火炬中心高企认定、科小企评价等相关业务系统。如忘记密码，点击忘记密码找回后再登录操作。',
        note: undefined,
        reason: undefined,
        links: [LEGAL_LOGIN, RECOVER],
      });
      expect(response.body).not.toContain(existing.loginName);
    });

    it('when the page is in English, then the answer is the English text with the same facts', async () => {
      const uscc = uniqueUscc();
      const migrated = await createLegalAccount(app, { loginName: uscc, uscc });
      await insertTorchOutcome(app, { kind: 'enterprise', legacyLogin: uscc, case: 'E1', accountId: migrated.account.id, loginName: uscc, window: 'legal' });

      const answer = answerOf((await enterpriseLookup(uscc, { lang: 'en' })).body);
      expect(answer.title).toBe('Keep using your Torch Center account and password');
      expect(answer.result).toBe(`Result: on the MOST government service platform you keep using your Torch Center user name (the unified social credit code) ${uscc} and your password.`);
      expect(answer.window).toBe('Legal entity login');
      expect(answer.password).toBe('Your Torch Center password (unchanged)');
      expect(answer.links).toEqual([
        ['Go to legal entity login', '/portal/login?login_type=legal'],
        ['Forgot password', '/recovery'],
      ]);
    });
  });

  describe('personal accounts', () => {
    it('when the import kept the person at their mobile (P1), then after the SMS code the answer says: keep using the mobile and the old password at the natural window', async () => {
      const mobile = uniqueMobile();
      const migrated = await createNaturalAccount(app, { loginName: mobile, mobile });
      await insertTorchOutcome(app, { kind: 'personal', legacyLogin: mobile, case: 'P1', accountId: migrated.account.id, loginName: mobile, window: 'natural' });

      const response = await personalLookup(mobile);
      expect(response.status).toBe(200);
      expect(answerOf(response.body)).toEqual({
        title: '继续使用原火炬中心账号和密码',
        result: `查询结果：已在火炬中心业务办理平台注册个人账号，在科技部政务服务平台继续使用原账号 ${mobile} 和密码。`,
        loginName: mobile,
        window: '自然人登录',
        password: OLD_PASSWORD,
        steps: '前往科技部政务服务平台在自然人登录窗口用原账号密码登录，再进行实名认证，认证后进行相关业务操作。',
        note: '如提示用户名密码不正确，通过忘记密码找回后再登录即可。',
        reason: undefined,
        links: [NATURAL_LOGIN, RECOVER],
      });
      expect(response.body).toContain(`手机号：${mobile.slice(0, 3)}****${mobile.slice(-4)}`);
    });

    it('when the mobile was already the login name of the person’s own account (P2), then the answer says: log in with the mobile and your own password, or recover it', async () => {
      const mobile = uniqueMobile();
      const existing = await createNaturalAccount(app, { loginName: mobile, mobile });
      await insertTorchOutcome(app, { kind: 'personal', legacyLogin: mobile, case: 'P2', accountId: existing.account.id, loginName: mobile, window: 'natural' });

      expect(answerOf((await personalLookup(mobile)).body)).toEqual({
        title: '已注册账号，登录名为手机号',
        result: `查询结果：在科技部政务服务平台已注册账号，且登录名为手机号 ${mobile}。`,
        loginName: mobile,
        window: '自然人登录',
        password: OWN_PASSWORD,
        steps: '直接前往科技部政务服务平台用手机号在自然人窗口登录，通过自己设置的密码或忘记密码找回登录，登录后再进行实名认证，认证后进行相关业务操作。',
        note: undefined,
        reason: '原因：这是因为在科技部政务服务平台用手机号为登录名注册过账号，但密码是自己注册时设置的，所以需要用自己设置的密码或者忘记密码找回再登录。',
        links: [NATURAL_LOGIN, RECOVER],
      });
    });

    it('when the mobile was taken by someone else’s login name (P3), then the answer names HJ_ + mobile with the old password, and nothing of the other account', async () => {
      const mobile = uniqueMobile();
      const squatter = await createNaturalAccount(app, { loginName: mobile, name: '王五' });
      const migrated = await createNaturalAccount(app, { loginName: `HJ_${mobile}`, mobile });
      await insertTorchOutcome(app, { kind: 'personal', legacyLogin: mobile, case: 'P3', accountId: migrated.account.id, loginName: `HJ_${mobile}`, window: 'natural' });

      const response = await personalLookup(mobile);
      expect(answerOf(response.body)).toEqual({
        title: '自然人账号登录名为“HJ_”加手机号',
        result: `查询结果：在科技部政务服务平台的自然人账号登录名为“HJ_”加原火炬中心用户名（手机号），即 HJ_${mobile}，同时密码不变。`,
        loginName: `HJ_${mobile}`,
        window: '自然人登录',
        password: OLD_PASSWORD,
        steps: '请直接在科技部政务服务平台自然人登录窗口登录，进行实名认证，认证完成后，可以进入相关业务系统。',
        note: undefined,
        reason: '原因：虽然该个人用户之前在政务服务平台没有注册过账号，但是该个人用户的手机号在科技部政务服务平台上已经被某人注册成了登录名为手机号的自然人账号。',
        links: [NATURAL_LOGIN, RECOVER],
      });
      expect(response.body).not.toContain('王五');
      expect(response.body).not.toContain(squatter.account.mobile);
    });

    it('when a verified account has the mobile (P4), then the answer shows its login name masked (ab***yz) and points to the natural-person appeal', async () => {
      const mobile = uniqueMobile();
      const loginName = `zhang_${unique('p4').slice(3)}`;
      const verified = await createNaturalAccount(app, { loginName, mobile, realNameVerified: true });
      await insertTorchOutcome(app, { kind: 'personal', legacyLogin: mobile, case: 'P4', accountId: verified.account.id, loginName, window: 'natural' });
      const masked = `${loginName.slice(0, 2)}***${loginName.slice(-2)}`;

      const response = await personalLookup(mobile);
      expect(answerOf(response.body)).toEqual({
        title: '该手机号的自然人已有实名认证账号',
        result: `查询结果：在科技部政务服务平台未用手机号作为登录名注册过账号，但该手机号的相关自然人进行了实名认证，已实名认证账号的登录名为 ${masked}。`,
        loginName: masked,
        window: '自然人登录',
        password: OWN_PASSWORD,
        steps: '请用已实名认证的账号在自然人登录窗口登录。忘记登录名的，需要通过自然人申诉找回密码，密码找回后进行相关业务操作。',
        note: undefined,
        reason: '原因：这是因为科技部政务平台一个身份证信息只能进行一次账号实名认证，但是可以注册多个账号，所以如忘记已实名认证账号的登录名，可以通过自然人账号申诉进行找回。',
        links: [NATURAL_LOGIN, APPEAL],
      });
      expect(response.body).toContain('为保护账号安全，登录名已部分隐藏。');
      expect(response.body.toLowerCase()).not.toContain(loginName.toLowerCase());
    });

    it('when a personal legacy record could not be placed (conflict), then the answer asks the user to call 技术支持', async () => {
      const mobile = uniqueMobile();
      await insertTorchOutcome(app, { kind: 'personal', legacyLogin: mobile, case: 'conflict', reason: 'hj_name_taken' });

      const answer = answerOf((await personalLookup(mobile)).body);
      expect(answer.title).toBe('您的账号需要运营人员处理');
      expect(answer.steps).toBe('请致电科技部政务服务平台技术支持 010-88659000，由运营人员为您处理。');
      expect(answer.links).toEqual([]);
    });

    it('when the person was never in the legacy system (2-1), then the answer says: register a natural account, log in, verify', async () => {
      const mobile = uniqueMobile();
      // A platform account with this mobile changes nothing: the guide's 2-1 is about the legacy system.
      await createNaturalAccount(app, { mobile });

      expect(answerOf((await personalLookup(mobile)).body)).toEqual({
        title: '未注册账号：请注册自然人账号',
        result: '查询结果：该手机号未在火炬中心业务办理平台注册个人账号。',
        loginName: undefined,
        window: undefined,
        password: undefined,
        steps: '直接前往科技部政务平台注册自然人账号，注册完成后登录，再进行实名认证，认证后进行相关业务操作。',
        note: undefined,
        reason: undefined,
        links: [REGISTER],
      });
    });

    it('when no SMS code is given, then nothing is told: 400 with the code field’s message', async () => {
      const mobile = uniqueMobile();
      const migrated = await createNaturalAccount(app, { loginName: `HJ_${mobile}`, mobile });
      await insertTorchOutcome(app, { kind: 'personal', legacyLogin: mobile, case: 'P3', accountId: migrated.account.id, loginName: `HJ_${mobile}`, window: 'natural' });

      const response = await personalLookup(mobile, { skipCode: true, code: () => '' });
      expect(response.status).toBe(400);
      expect(fieldNote(response.body, 'smsCode')).toEqual({ kind: 'error', text: '请输入短信验证码' });
      expect(response.body).not.toContain('id="answer"');
      expect(response.body).not.toContain(`HJ_${mobile}`);
      // What was typed stays.
      expect(response.body).toContain(`value="${mobile}"`);
    });

    it('when no code was ever sent, or the code is wrong, then nothing is told: 400 on the code field', async () => {
      const mobile = uniqueMobile();
      const migrated = await createNaturalAccount(app, { loginName: `HJ_${mobile}`, mobile });
      await insertTorchOutcome(app, { kind: 'personal', legacyLogin: mobile, case: 'P3', accountId: migrated.account.id, loginName: `HJ_${mobile}`, window: 'natural' });

      const unsent = await personalLookup(mobile, { skipCode: true, code: () => '123456' });
      expect(unsent.status).toBe(400);
      expect(fieldNote(unsent.body, 'smsCode')).toEqual({ kind: 'error', text: '请先获取短信验证码（每个验证码只能使用一次）' });
      expect(unsent.body).not.toContain(`HJ_${mobile}`);

      const wrong = await personalLookup(mobile, { code: (sent) => (sent === '000000' ? '000001' : '000000') });
      expect(wrong.status).toBe(400);
      expect(fieldNote(wrong.body, 'smsCode')?.text).toMatch(/^短信验证码错误，还可尝试 \d 次$/);
      expect(wrong.body).not.toContain('id="answer"');
      expect(wrong.body).not.toContain(`HJ_${mobile}`);
    });

    it('when a code was sent for another purpose, then it does not prove the mobile here', async () => {
      const mobile = uniqueMobile();
      const ip = uniqueIp();
      await app.context.smsCodes.requestCode({ mobile, purpose: 'register', ip });
      const registerCode = await outboxCode(app, mobile);

      const response = await personalLookup(mobile, { skipCode: true, code: () => registerCode });
      expect(response.status).toBe(400);
      expect(fieldNote(response.body, 'smsCode')?.kind).toBe('error');
    });

    it('when a code has been used once, then the same code cannot look up again', async () => {
      const mobile = uniqueMobile();
      const agent = newAgent();
      const first = await personalLookup(mobile, { agent });
      expect(first.status).toBe(200);
      const code = await outboxCode(app, mobile);
      const again = await personalLookup(mobile, { agent, skipCode: true, code: () => code });
      expect(again.status).toBe(400);
      expect(fieldNote(again.body, 'smsCode')?.text).toBe('请先获取短信验证码（每个验证码只能使用一次）');
    });

    it('when 获取验证码 is asked without or with a wrong image captcha, or for a bad mobile, then no code is sent and the field says why', async () => {
      const mobile = uniqueMobile();
      const agent = newAgent();
      const page = await agent.request(`${app.url}/torch/lookup/personal`);
      const form = { csrf: hiddenInput(page.body, 'csrf') ?? '', action: 'send_sms', captchaId: hiddenInput(page.body, 'captchaId') ?? '', smsCode: '' };

      const noCaptcha = await agent.request(`${app.url}/torch/lookup/personal`, { form: { ...form, mobile, captcha: '' } });
      expect(noCaptcha.status).toBe(400);
      expect(fieldNote(noCaptcha.body, 'captcha')).toEqual({ kind: 'error', text: '请输入图形验证码' });

      const wrongCaptcha = await agent.request(`${app.url}/torch/lookup/personal`, { form: { ...form, mobile, captcha: 'nope' } });
      expect(wrongCaptcha.status).toBe(400);
      expect(fieldNote(wrongCaptcha.body, 'captcha')).toEqual({ kind: 'error', text: '图形验证码错误或已过期，请重新输入' });

      const badMobile = await agent.request(`${app.url}/torch/lookup/personal`, { form: { ...form, mobile: '1234', captcha: CAPTCHA_ANSWER } });
      expect(badMobile.status).toBe(400);
      expect(fieldNote(badMobile.body, 'mobile')).toEqual({ kind: 'error', text: '请输入正确的 11 位手机号码' });
      expect(badMobile.body).toContain('aria-invalid="true"');
      expect(badMobile.body).toContain('value="1234"');

      expect(await app.context.smsOutbox.recent({ mobile, limit: 5 })).toHaveLength(0);
    });

    it('when the lookup itself is posted with a bad mobile, then 400 with the mobile field’s message', async () => {
      const response = await personalLookup('12345', { skipCode: true, code: () => '123456' });
      expect(response.status).toBe(400);
      expect(fieldNote(response.body, 'mobile')).toEqual({ kind: 'error', text: '请输入正确的 11 位手机号码' });
    });

    it('when the in-place 获取验证码 (the page script) asks /sms/code for the lookup, then that code proves the mobile', async () => {
      const mobile = uniqueMobile();
      const migrated = await createNaturalAccount(app, { loginName: `HJ_${mobile}`, mobile });
      await insertTorchOutcome(app, { kind: 'personal', legacyLogin: mobile, case: 'P3', accountId: migrated.account.id, loginName: `HJ_${mobile}`, window: 'natural' });
      const agent = newAgent();
      const page = await agent.request(`${app.url}/torch/lookup/personal`);
      expect(page.body).toContain('data-sms-purpose="lookup"');
      const csrf = hiddenInput(page.body, 'csrf') ?? '';
      const sent = await agent.request(`${app.url}/sms/code`, {
        json: { mobile, purpose: 'lookup', captchaId: hiddenInput(page.body, 'captchaId'), captcha: CAPTCHA_ANSWER },
        headers: { accept: 'application/json', 'x-csrf-token': csrf },
      });
      expect(sent.status).toBe(200);
      const response = await agent.request(`${app.url}/torch/lookup/personal`, { form: { csrf, action: 'lookup', mobile, smsCode: await outboxCode(app, mobile) } });
      expect(answerOf(response.body).loginName).toBe(`HJ_${mobile}`);
    });
  });

  describe('input, captchas, limits and the audit log', () => {
    it.each([
      ['', '请输入统一社会信用代码'],
      ['9111010', '统一社会信用代码应为 18 位'],
      ['91110108MA01DEMO1I', '统一社会信用代码含有无效字符（不使用 I、O、Z、S、V）'],
    ])('when the USCC is %p, then 400 with the field’s message and the form keeps it', async (uscc, message) => {
      const response = await enterpriseLookup(uscc);
      expect(response.status).toBe(400);
      expect(fieldNote(response.body, 'uscc')).toEqual({ kind: 'error', text: message });
      expect(response.body).toContain('aria-invalid="true"');
      expect(response.body).toContain(`value="${uscc}"`);
      expect(alertText(response.body)).toBe('请检查填写的内容');
    });

    it('when the USCC’s check character is wrong and no legacy record has it, then 400 on the field', async () => {
      const valid = uniqueUscc();
      const wrongCheck = valid.slice(0, 17) + [...'0123456789ABCDEFGHJKLMNPQRTUWXY'].find((c) => c !== valid[17])!;
      const response = await enterpriseLookup(wrongCheck);
      expect(response.status).toBe(400);
      expect(fieldNote(response.body, 'uscc')).toEqual({ kind: 'error', text: '统一社会信用代码校验位不正确，请核对' });
    });

    it('when the image captcha is missing or wrong, then no answer: 400 on the captcha field', async () => {
      const uscc = uniqueUscc();
      await insertTorchOutcome(app, { kind: 'enterprise', legacyLogin: uscc, case: 'conflict' });
      const missing = await enterpriseLookup(uscc, { captcha: '' });
      expect(missing.status).toBe(400);
      expect(fieldNote(missing.body, 'captcha')).toEqual({ kind: 'error', text: '请输入图形验证码' });
      const wrong = await enterpriseLookup(uscc, { captcha: 'zzzz' });
      expect(wrong.status).toBe(400);
      expect(fieldNote(wrong.body, 'captcha')).toEqual({ kind: 'error', text: '图形验证码错误或已过期，请重新输入' });
      expect(wrong.body).not.toContain('id="answer"');
    });

    it('when a lookup is posted without the CSRF token, then 403 and no answer', async () => {
      const agent = newAgent();
      const page = await agent.request(`${app.url}/torch/lookup`);
      const response = await agent.request(`${app.url}/torch/lookup/enterprise`, {
        form: { captchaId: hiddenInput(page.body, 'captchaId') ?? '', uscc: uniqueUscc(), captcha: CAPTCHA_ANSWER },
      });
      expect(response.status).toBe(403);
      expect(response.body).not.toContain('id="answer"');
    });

    it('when a lookup form is oversized, then 413 with a page, never a 500', async () => {
      const agent = newAgent();
      const page = await agent.request(`${app.url}/torch/lookup`);
      const response = await agent.request(`${app.url}/torch/lookup/enterprise`, {
        form: { csrf: hiddenInput(page.body, 'csrf') ?? '', uscc: 'X'.repeat(20_000), captcha: CAPTCHA_ANSWER },
      });
      expect(response.status).toBe(413);
      expect(response.body).not.toContain('id="answer"');
    });

    it('when one address spends its lookup budget, then the next lookup is refused with 429 and Retry-After', async () => {
      const agent = newAgent();
      const [limit] = TORCH_LOOKUP_LIMITS.lookupPerAddress;
      const uscc = uniqueUscc();
      for (let i = 0; i < limit; i += 1) expect((await enterpriseLookup(uscc, { agent, captcha: 'zzzz' })).status).toBe(400);
      const refused = await enterpriseLookup(uscc, { agent });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(alertText(refused.body)).toBe('操作过于频繁，请稍后再试。');
      expect(refused.body).not.toContain('id="answer"');
      // Personal lookups share the address's budget.
      expect((await personalLookup(uniqueMobile(), { agent, skipCode: true, code: () => '123456' })).status).toBe(429);
    });

    it('when one USCC is looked up too often, even from many addresses, then it is refused with 429', async () => {
      const uscc = uniqueUscc();
      const [limit] = TORCH_LOOKUP_LIMITS.lookupPerUscc;
      for (let i = 0; i < limit; i += 1) expect((await enterpriseLookup(uscc)).status).toBe(200);
      expect((await enterpriseLookup(uscc)).status).toBe(429);
      // Another unit is not held up.
      expect((await enterpriseLookup(uniqueUscc())).status).toBe(200);
    });

    it('when one mobile is looked up too often, even from many addresses, then it is refused with 429 before any code is checked', async () => {
      const mobile = uniqueMobile();
      const [limit] = TORCH_LOOKUP_LIMITS.lookupPerMobile;
      for (let i = 0; i < limit; i += 1) {
        expect((await personalLookup(mobile, { skipCode: true, code: () => '123456' })).status).toBe(400);
      }
      const refused = await personalLookup(mobile, { skipCode: true, code: () => '123456' });
      expect(refused.status).toBe(429);
      expect(alertText(refused.body)).toBe('操作过于频繁，请稍后再试。');
    });

    it('when lookups are answered, then the audit log has torch.lookup with kind and case, and no mobile in clear', async () => {
      const uscc = uniqueUscc();
      await insertTorchOutcome(app, { kind: 'enterprise', legacyLogin: uscc, case: 'conflict' });
      await enterpriseLookup(uscc);
      const [enterprise] = await app.context.db('audit_events').where({ event: 'torch.lookup', subject_id: uscc }).select('outcome', 'subject_type', 'details');
      expect(enterprise).toEqual({ outcome: 'success', subject_type: 'uscc', details: { kind: 'enterprise', case: 'conflict' } });

      const mobile = uniqueMobile();
      const migrated = await createNaturalAccount(app, { loginName: `HJ_${mobile}`, mobile });
      await insertTorchOutcome(app, { kind: 'personal', legacyLogin: mobile, case: 'P3', accountId: migrated.account.id, loginName: `HJ_${mobile}`, window: 'natural' });
      await personalLookup(mobile);
      const events = await app.context.db('audit_events').where({ event: 'torch.lookup', subject_id: app.context.crypt.blindIndex(mobile) }).select('subject_type', 'details', 'ip');
      expect(events).toHaveLength(1);
      expect(events[0].subject_type).toBe('mobile');
      expect(events[0].details).toEqual({ kind: 'personal', case: 'P3' });
      const everything = await app.context.db('audit_events').where('event', 'like', 'torch.%').select('details', 'subject_id');
      expect(JSON.stringify(everything)).not.toContain(mobile);
    });

    it('when the enterprise captcha is renewed (换一张), then a fresh challenge of the lookup’s purpose comes back as JSON', async () => {
      const response = await newAgent().request(`${app.url}/torch/lookup/captcha`, { headers: { accept: 'application/json' } });
      expect(response.status).toBe(200);
      const challenge = JSON.parse(response.body) as { id: string; imageDataUrl: string };
      expect(challenge.imageDataUrl).toMatch(/^data:image\/svg\+xml;base64,/);
      expect(await app.context.captchas.verify(challenge.id, TORCH_LOOKUP_CAPTCHA_PURPOSE, CAPTCHA_ANSWER)).toBe(true);
    });
  });

  describe('the way to the page', () => {
    it('when the portal home and the login windows are opened, then both link to 火炬中心账号检索', async () => {
      const agent = newAgent();
      const home = await agent.request(`${app.url}/`);
      expect(home.body).toContain('href="/torch/lookup"');
      const login = await agent.follow(`${app.url}/portal/login?login_type=legal`);
      expect(login.url).toContain('/interaction/');
      expect(login.body).toContain('<a href="/torch/lookup">原火炬中心用户：火炬中心账号检索</a>');
    });

    it('when the lookup page is opened, then it offers 企业 and 个人, each form with real labels', async () => {
      const enterprise = await newAgent().request(`${app.url}/torch/lookup`);
      expect(enterprise.status).toBe(200);
      expect(enterprise.body).toContain('<label for="uscc">');
      expect(enterprise.body).toContain('<label for="captcha">');
      expect(enterprise.body).toMatch(/href="\/torch\/lookup\/enterprise" aria-current="page">企业账号</);
      const personal = await newAgent().request(`${app.url}/torch/lookup/personal`);
      expect(personal.body).toContain('<label for="mobile">');
      expect(personal.body).toContain('<label for="smsCode">');
      expect(personal.body).toMatch(/href="\/torch\/lookup\/personal" aria-current="page">个人账号</);
    });
  });

  describe('on what the import command decided', () => {
    /** A legacy export, one record per case, imported as `torch import` does. */
    async function importExport(records: Array<Record<string, string>>): Promise<void> {
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'torch-lookup-')), 'export.jsonl');
      const password = { password_scheme: 'sha1', password_hash: crypto.createHash('sha1').update('Old-Torch-1').digest('hex') };
      fs.writeFileSync(file, records.map((record) => JSON.stringify({ legacy_id: unique('legacy'), ...password, ...record })).join('\n'));
      const { counts } = await app.context.torchImport.run({ file, mode: 'apply' });
      expect(counts.decided).toBe(records.length);
    }
    const enterprise = (uscc: string) => ({ kind: 'enterprise', login_name: uscc, org_name: `${unique('火炬')}有限公司`, contact_name: '钱联系', mobile: uniqueMobile() });
    const person = (mobile: string) => ({ kind: 'personal', login_name: mobile, name: '孙旧用户', mobile });

    it('when a generated export is imported, then each enterprise and person looks up the answer of the case the import recorded, with the login name it made', async () => {
      const [e1, e2, e3, e4] = [uniqueUscc(), uniqueUscc(), uniqueUscc(), uniqueUscc()];
      const badCheck = e1.slice(0, 17) + (e1.endsWith('0') ? '1' : '0');
      await createLegalAccount(app, { loginName: e2, uscc: e2 });
      await createNaturalAccount(app, { loginName: e3 });
      await createLegalAccount(app, { loginName: unique('unit'), uscc: e4 });
      const [p1, p2, p3, p4] = [uniqueMobile(), uniqueMobile(), uniqueMobile(), uniqueMobile()];
      await createNaturalAccount(app, { loginName: p2, mobile: p2 });
      await createNaturalAccount(app, { loginName: p3 });
      const verified = await createNaturalAccount(app, { mobile: p4, realNameVerified: true });
      await importExport([enterprise(e1), enterprise(e2), enterprise(e3), enterprise(e4), enterprise(badCheck), person(p1), person(p2), person(p3), person(p4)]);

      const enterprises: Array<[string, string, string | undefined]> = [
        [e1, '继续使用原火炬中心账号和密码', e1],
        [e2, '已注册账号，登录名为统一社会信用代码', e2],
        [e3, '法人账号登录名为“HJ_”加统一社会信用代码', `HJ_${e3}`],
        [e4, '原火炬中心账号为自然人账号，已获得企业授权', e4],
        [badCheck, '您的账号需要运营人员处理', undefined],
      ];
      for (const [uscc, title, loginName] of enterprises) {
        const answer = answerOf((await enterpriseLookup(uscc)).body);
        expect([uscc, answer.title, answer.loginName]).toEqual([uscc, title, loginName]);
      }
      const persons: Array<[string, string, string]> = [
        [p1, '继续使用原火炬中心账号和密码', p1],
        [p2, '已注册账号，登录名为手机号', p2],
        [p3, '自然人账号登录名为“HJ_”加手机号', `HJ_${p3}`],
        [p4, '该手机号的自然人已有实名认证账号', `${verified.loginName.slice(0, 2)}***${verified.loginName.slice(-2)}`],
      ];
      for (const [mobile, title, loginName] of persons) {
        const answer = answerOf((await personalLookup(mobile)).body);
        expect([mobile, answer.title, answer.loginName]).toEqual([mobile, title, loginName]);
      }
    });
  });
});
