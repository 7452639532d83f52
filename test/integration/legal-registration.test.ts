/**
 * 单位用户（法人）注册 through HTTP, as a browser without JavaScript drives it: every field rule with
 * its own message, the three lookups (login name, unit name, USCC) and their per-address limit, the
 * SMS code to the main agent's mobile (captcha first, read from the development outbox, expiry on an
 * injected clock), the stored legal account with its automatic verification against the enterprise
 * reference register, the result page, and what must never be stored or logged in clear.
 */
import crypto from 'node:crypto';
import { CHECKS_PER_WINDOW } from '../../src/flows/registration/registration-form.js';
import { EnterpriseRegistryUnavailable, type EnterpriseRegistry } from '../../src/verification/enterprise-registry.js';
import { uniqueIp, uniqueUscc } from '../support/accounts.js';
import { answers, FakeGateway } from '../support/fake-sms-gateways.js';
import { uniqueName, uniqueResidentId } from '../support/identities.js';
import { outboxCode, outboxCodes } from '../support/sms-outbox.js';
import { TestClock } from '../support/test-clock.js';
import { captureLogs, startTestApp, STRONG_PASSWORD, type TestApp, unique, uniqueMobile } from '../support/test-app.js';
import { currentStep, errorFields, fieldNote, hiddenInput, hrefs, inputValue, selectedOption, UserAgent } from '../support/user-agent.js';

const CAPTCHA_ANSWER = 'leg7';
const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

type Form = Record<string, string>;

/** The checked radio button of the group `name`, if one is. */
function checkedRadio(html: string, name: string): string | undefined {
  return new RegExp(`<input type="radio" name="${name}" value="([^"]*)" checked`).exec(html)?.[1];
}

const isChecked = (html: string, id: string) => new RegExp(`<input type="checkbox" id="${id}" name="${id}" checked`).test(html);

/** A USCC with a wrong check character. */
function withWrongCheck(uscc: string): string {
  const right = uscc.at(-1)!;
  return uscc.slice(0, 17) + USCC_ALPHABET[(USCC_ALPHABET.indexOf(right) + 1) % USCC_ALPHABET.length];
}

const RADIO_GROUPS = new Set(['registrationRegion', 'orgType']);

describe('legal-entity registration (单位用户（法人）注册) over HTTP', () => {
  let app: TestApp;
  const clock = new TestClock();
  const logs = captureLogs();

  beforeAll(async () => {
    app = await startTestApp({
      // Each test's agent has an address of its own (X-Forwarded-For), so per-address limits stay per test.
      env: { TRUST_PROXY: 'true', CAPTCHA_TEST_ANSWER: CAPTCHA_ANSWER, LOG_LEVEL: 'info' },
      clock: clock.now,
      logDestination: logs,
    });
  });
  afterAll(() => app?.close());

  /** A browser with an address of its own that has opened the form at `path`. */
  async function openForm(query = '', path = '/register/legal') {
    const ip = uniqueIp();
    const agent = new UserAgent({ 'x-forwarded-for': ip });
    const page = await agent.request(`${app.url}${path}${query}`);
    expect(page.status).toBe(200);
    return { agent, ip, page: page.body };
  }

  /** Posts the form with `action`, carrying the page's CSRF token and captcha id like the browser does. */
  function post(agent: UserAgent, page: string, action: string, form: Form, query = '', path = '/register/legal') {
    return agent.request(`${app.url}${path}${query}`, {
      form: { csrf: hiddenInput(page, 'csrf') ?? '', captchaId: hiddenInput(page, 'captchaId') ?? '', ...form, action },
    });
  }

  /** A form every rule accepts: a domestic enterprise; `smsCode` is a placeholder until a code is sent. */
  function validForm(overrides: Form = {}): Form {
    return {
      loginName: unique('org'),
      password: STRONG_PASSWORD,
      confirmPassword: STRONG_PASSWORD,
      orgName: `${uniqueName()}${unique('')}科技有限公司`,
      registrationRegion: 'domestic',
      orgType: 'enterprise',
      uscc: uniqueUscc(),
      registrationNumber: '',
      repName: uniqueName(),
      repMobile: uniqueMobile(),
      repIdentityType: 'mainland',
      repDocumentType: 'resident_id',
      repDocumentNumber: uniqueResidentId(),
      repDocumentValidUntil: '',
      repDocumentLongTerm: 'on',
      agentName: uniqueName(),
      agentMobile: uniqueMobile(),
      agentIdentityType: 'mainland',
      agentDocumentType: 'resident_id',
      agentDocumentNumber: uniqueResidentId(),
      agentDocumentValidUntil: '2045-06-30',
      smsCode: '123456',
      agreement: 'on',
      ...overrides,
    };
  }

  /** The unit of `form` listed in the enterprise reference register, so that it verifies. */
  const listInRegister = (form: Form) =>
    app.context.referenceEntities.upsert([{ uscc: form.uscc!.toUpperCase(), orgName: form.orgName!, legalRepresentativeName: form.repName! }]);

  /** 获取验证码 with the captcha answered; returns the code the outbox "sent" to the main agent. */
  async function sendCode(agent: UserAgent, page: string, form: Form, query = ''): Promise<{ code: string; page: string }> {
    const sent = await post(agent, page, 'send_sms', { ...form, captcha: CAPTCHA_ANSWER }, query);
    expect(sent.status).toBe(200);
    const [code] = await outboxCodes(app, form.agentMobile!);
    expect(code).toMatch(/^\d{6}$/);
    return { code: code!, page: sent.body };
  }

  /** The whole form in one browser: send the code, read it from the outbox, submit 注册账号. */
  async function register(form: Form, query = '') {
    const { agent, ip, page } = await openForm(query);
    const { code, page: afterSms } = await sendCode(agent, page, form, query);
    const submitted = await post(agent, afterSms, 'register', { ...form, smsCode: code }, query);
    return { agent, ip, code, submitted };
  }

  async function accountIdOf(loginName: string): Promise<string | undefined> {
    return (await app.context.accounts.findCredentials(loginName))?.id;
  }

  async function accountOf(loginName: string) {
    return (await app.context.accounts.findById((await accountIdOf(loginName))!))!;
  }

  describe('the form', () => {
    test('when it is opened, then it shows step 1 and every field, a domestic unit preselected, no legal-person type chosen, passwords empty', async () => {
      const { page } = await openForm();
      expect(page).toContain('<h1 id="register-title" class="card__title">单位用户（法人）注册</h1>');
      expect(currentStep(page)).toBe('1 填写账号及用户信息');
      for (const id of ['loginName', 'password', 'confirmPassword', 'orgName', 'uscc', 'registrationNumber', 'captcha', 'smsCode']) {
        expect(inputValue(page, id)).toBeDefined();
      }
      for (const prefix of ['rep', 'agent']) {
        for (const field of ['Name', 'Mobile', 'DocumentNumber', 'DocumentValidUntil']) expect(inputValue(page, `${prefix}${field}`)).toBe('');
        expect(selectedOption(page, `${prefix}IdentityType`)).toBe('mainland');
        expect(selectedOption(page, `${prefix}DocumentType`)).toBe('resident_id');
      }
      expect(checkedRadio(page, 'registrationRegion')).toBe('domestic');
      expect(checkedRadio(page, 'orgType')).toBeUndefined();
      for (const label of ['法人单位名称', '境内单位', '港澳台地区单位', '境外单位', '企业法人', '社会组织法人', '事业单位法人', '统一社会信用代码', '单位注册号码',
        '法定代表人姓名', '法定代表人手机号码', '法定代表人身份类型', '法定代表人证件类型', '法定代表人证件号码', '法定代表人证件有效期至',
        '主代办人姓名', '主代办人手机号码', '主代办人手机验证码', '主代办人身份类型', '主代办人证件类型', '主代办人证件号码', '主代办人证件有效期至', '长期有效',
        '检索登录名是否已注册', '检索单位名称是否存在', '检索统一社会信用代码是否存在', '获取验证码', '注册账号']) {
        expect(page).toContain(label);
      }
      // The code goes to the main agent's mobile; without JavaScript both unit numbers show, each saying who fills it in.
      expect(page).toMatch(/data-sms-send="\/sms\/code" data-mobile-field="agentMobile"/);
      expect(page).toContain('境内单位填写：18 位');
      expect(page).toContain('港澳台地区及境外单位填写：');
      expect(page).toContain('<a href="/register/agreement/legal" target="_blank" rel="noopener">《法人实名认证协议》</a>');
      expect(page).toMatch(/<input type="checkbox" name="agreement"(?! checked)/);
      expect(inputValue(page, 'password')).toBe('');
      expect(hiddenInput(page, 'csrf')).toBeTruthy();
      expect(hiddenInput(page, 'captchaId')).toMatch(/^[0-9a-f-]{36}$/);
    });

    test('when 《法人实名认证协议》 is opened, then it is a page of its own saying what the data is for', async () => {
      const page = await new UserAgent().request(`${app.url}/register/agreement/legal`);
      expect(page.status).toBe(200);
      expect(page.body).toContain('<h1 id="agreement-title" class="card__title">《法人实名认证协议》</h1>');
      expect(page.body).toContain('一个统一社会信用代码只能实名认证一个法人账号');
      expect(page.body).toContain('授权书');
      const english = await new UserAgent().request(`${app.url}/register/agreement/legal?lang=en`);
      expect(english.body).toContain('Legal-Entity Real-Name Verification Agreement');
    });

    test('when the form is opened in English, then its labels are English', async () => {
      const page = await new UserAgent().request(`${app.url}/register/legal?lang=en`);
      expect(page.body).toContain('Register a legal entity');
      expect(page.body).toContain('Main agent&#39;s SMS code');
      expect(page.body).toContain('Unified social credit code');
    });

    test('when return_to is a local sign-in, then the form keeps it; when it is not, it is dropped', async () => {
      const returnTo = '/interaction/AbC_123-xyz';
      const query = `?return_to=${encodeURIComponent(returnTo)}`;
      const { page } = await openForm(query);
      expect(page).toContain(`action="/register/legal${query}"`);
      expect(hrefs(page)).toContain(`/register${query}`);
      const bad = await openForm(`?return_to=${encodeURIComponent('https://evil.example/')}`);
      expect(bad.page).toContain('action="/register/legal"');
      expect(hrefs(bad.page)).toContain('/register');
    });
  });

  describe('field rules: every wrong field gets its own message and a 4xx', () => {
    test.each<[string, string, (form: Form) => Form, string]>([
      ['the agreement is not checked', 'agreement', (f) => ({ ...f, agreement: '' }), '请阅读并同意《法人实名认证协议》'],
      ['the login name is too short', 'loginName', (f) => ({ ...f, loginName: 'ab1' }), '登录名长度应为 4–64 个字符'],
      ['the login name has other characters', 'loginName', (f) => ({ ...f, loginName: '北京某某科技' }), '登录名只能包含字母、数字和下划线'],
      ['the login name is empty', 'loginName', (f) => ({ ...f, loginName: '' }), '请输入登录名'],
      ['the password is too short', 'password', (f) => ({ ...f, password: 'Ab1!xyz', confirmPassword: 'Ab1!xyz' }), '密码至少 8 位'],
      ['the password has too few classes', 'password', (f) => ({ ...f, password: 'abcdefgh12', confirmPassword: 'abcdefgh12' }), '密码须包含大写字母、小写字母、数字、特殊符号中的至少 3 种'],
      ['the password is empty', 'password', (f) => ({ ...f, password: '', confirmPassword: '' }), '请输入密码'],
      ['the password equals the login name', 'password', (f) => ({ ...f, loginName: 'Org_Name_2024', password: 'org_name_2024', confirmPassword: 'org_name_2024' }), '密码不能与登录名相同'],
      ['the confirmation differs', 'confirmPassword', (f) => ({ ...f, confirmPassword: `${f.password}x` }), '两次输入的密码不一致'],
      ['the unit name is empty', 'orgName', (f) => ({ ...f, orgName: '  ' }), '请输入单位名称'],
      ['the unit name is longer than 100 characters', 'orgName', (f) => ({ ...f, orgName: '科'.repeat(101) }), '单位名称过长'],
      ['no registration region is chosen', 'registrationRegion', (f) => ({ ...f, registrationRegion: '' }), '请选择注册单位类型'],
      ['the registration region is made up', 'registrationRegion', (f) => ({ ...f, registrationRegion: 'constructor' }), '请选择注册单位类型'],
      ['no legal-person type is chosen', 'orgType', (f) => ({ ...f, orgType: '' }), '请选择法人类型'],
      ['the legal-person type is made up', 'orgType', (f) => ({ ...f, orgType: 'company' }), '请选择法人类型'],
      ['a domestic unit gives no USCC', 'uscc', (f) => ({ ...f, uscc: '' }), '请输入统一社会信用代码'],
      ['the USCC is 17 characters', 'uscc', (f) => ({ ...f, uscc: f.uscc!.slice(0, 17) }), '统一社会信用代码应为 18 位'],
      ['the USCC has a letter the code never uses (O)', 'uscc', (f) => ({ ...f, uscc: `${f.uscc!.slice(0, 10)}O${f.uscc!.slice(11)}` }), '统一社会信用代码含有无效字符（不使用 I、O、Z、S、V）'],
      ['the USCC has a wrong check character', 'uscc', (f) => ({ ...f, uscc: withWrongCheck(f.uscc!) }), '统一社会信用代码校验位不正确，请核对'],
      ['an HMT unit gives no registration number', 'registrationNumber', (f) => ({ ...f, registrationRegion: 'hmt', uscc: '' }), '请输入单位注册号码'],
      ['a foreign unit gives a registration number of 51 characters', 'registrationNumber', (f) => ({ ...f, registrationRegion: 'foreign', registrationNumber: 'R'.repeat(51) }), '内容过长'],
      ['the legal representative has no name', 'repName', (f) => ({ ...f, repName: '' }), '请输入姓名'],
      ['the legal representative\'s name is longer than 50 characters', 'repName', (f) => ({ ...f, repName: '张'.repeat(51) }), '内容过长'],
      ['the legal representative\'s mobile starts with 12', 'repMobile', (f) => ({ ...f, repMobile: '12912345678' }), '请输入正确的 11 位手机号码'],
      ['the legal representative\'s identity type is "constructor"', 'repIdentityType', (f) => ({ ...f, repIdentityType: 'constructor' }), '请从列表中选择'],
      ['the legal representative\'s passport is under a mainland identity', 'repDocumentType', (f) => ({ ...f, repDocumentType: 'passport' }), '证件类型与身份类型不符'],
      ['the legal representative\'s document number is empty', 'repDocumentNumber', (f) => ({ ...f, repDocumentNumber: '' }), '请输入证件号码'],
      ['the legal representative\'s document number has a wrong check character', 'repDocumentNumber', (f) => ({ ...f, repDocumentNumber: f.repDocumentNumber!.slice(0, 17) + (f.repDocumentNumber!.endsWith('0') ? '1' : '0') }), '证件号码校验位不正确，请核对'],
      ['the legal representative\'s document has neither a date nor 长期有效', 'repDocumentValidUntil', (f) => ({ ...f, repDocumentLongTerm: '' }), '请填写证件有效期，或勾选“长期有效”'],
      ['the legal representative\'s document expired', 'repDocumentValidUntil', (f) => ({ ...f, repDocumentLongTerm: '', repDocumentValidUntil: '2001-01-01' }), '证件已过有效期'],
      ['the legal representative\'s validity date does not exist', 'repDocumentValidUntil', (f) => ({ ...f, repDocumentLongTerm: '', repDocumentValidUntil: '2040-02-30' }), '请输入正确的日期'],
      ['the main agent has no name', 'agentName', (f) => ({ ...f, agentName: ' ' }), '请输入姓名'],
      ['the main agent\'s mobile is too short', 'agentMobile', (f) => ({ ...f, agentMobile: '1391234567' }), '请输入正确的 11 位手机号码'],
      ['the main agent\'s HMT identity has a resident identity card', 'agentDocumentType', (f) => ({ ...f, agentIdentityType: 'hmt' }), '证件类型与身份类型不符'],
      ['the main agent\'s passport number has a hyphen', 'agentDocumentNumber', (f) => ({ ...f, agentIdentityType: 'other', agentDocumentType: 'passport', agentDocumentNumber: 'E1234-567' }), '证件号码格式不正确'],
      ['the main agent\'s validity date is not a date', 'agentDocumentValidUntil', (f) => ({ ...f, agentDocumentValidUntil: '30.06.2045' }), '请输入正确的日期'],
      ['the SMS code is 5 digits', 'smsCode', (f) => ({ ...f, smsCode: '12345' }), '请输入 6 位短信验证码'],
      ['the SMS code has letters', 'smsCode', (f) => ({ ...f, smsCode: '12a456' }), '请输入 6 位短信验证码'],
    ])('when %s, then 400 with that field message only and no account', async (_case, field, change, message) => {
      const { agent, page } = await openForm();
      const form = change(validForm());
      const response = await post(agent, page, 'register', form);
      expect(response.status).toBe(400);
      expect(fieldNote(response.body, field)).toEqual({ kind: 'error', text: message });
      expect(errorFields(response.body)).toEqual([field]);
      expect(response.body).toContain('请检查填写的内容');
      if (RADIO_GROUPS.has(field)) {
        expect(response.body).toMatch(new RegExp(`<fieldset class="field choices field--error" id="${field}" aria-describedby="${field}-note">`));
        expect(response.body).toMatch(new RegExp(`<input type="radio" name="${field}" value="[^"]+"( checked)? aria-invalid="true">`));
      } else {
        expect(response.body).toMatch(new RegExp(`name="${field}"[^>]*aria-describedby="[^"]*\\b${field}-note\\b[^"]*"[^>]*aria-invalid="true"`));
      }
      if (form.loginName) expect(await accountIdOf(form.loginName)).toBeUndefined();
    });

    test('when every field is wrong at once, then every field has its own message in one answer', async () => {
      const { agent, page } = await openForm();
      const response = await post(agent, page, 'register', {
        loginName: 'a!', password: 'short', confirmPassword: 'other', orgName: '', registrationRegion: 'domestic', orgType: '', uscc: 'ABC',
        repName: '', repMobile: '1', repIdentityType: 'mainland', repDocumentType: 'resident_id', repDocumentNumber: '123',
        agentName: '', agentMobile: '2', agentIdentityType: 'nowhere', agentDocumentType: '', agentDocumentNumber: '',
        smsCode: 'abc', agreement: '',
      });
      expect(response.status).toBe(400);
      expect(errorFields(response.body)).toEqual([
        'agentDocumentValidUntil', 'agentIdentityType', 'agentMobile', 'agentName', 'agreement', 'confirmPassword', 'loginName', 'orgName', 'orgType', 'password',
        'repDocumentNumber', 'repDocumentValidUntil', 'repMobile', 'repName', 'smsCode', 'uscc',
      ].sort());
    });

    test('when the unit is registered in Hong Kong, then a wrong USCC is not looked at, and a domestic unit\'s registration number is not either', async () => {
      const { agent, page } = await openForm();
      const hmt = await post(agent, page, 'register', validForm({ registrationRegion: 'hmt', uscc: 'not a code', registrationNumber: '' }));
      expect(errorFields(hmt.body)).toEqual(['registrationNumber']);
      const domestic = await post(agent, page, 'register', validForm({ registrationNumber: 'x'.repeat(80), smsCode: '12' }));
      expect(errorFields(domestic.body)).toEqual(['smsCode']);
    });

    test('when the form comes back with errors, then what was typed stays (passwords excepted), escaped, radios and 长期有效 as chosen', async () => {
      const { agent, page } = await openForm();
      const form = validForm({
        orgName: '北京"<b>某某科技有限公司', registrationRegion: 'foreign', orgType: 'social_organization', uscc: '91110108abc', registrationNumber: 'HRB 12345/B',
        repIdentityType: 'other', repDocumentType: 'passport', repDocumentNumber: 'E12345678',
        agentDocumentValidUntil: '2040-01-31', password: 'Secret-Typed-1', confirmPassword: 'Secret-Typed-1', smsCode: '654321', agreement: '', loginName: 'x',
      });
      const response = await post(agent, page, 'register', form);
      expect(response.status).toBe(400);
      expect(errorFields(response.body)).toEqual(['agreement', 'loginName']);
      expect(inputValue(response.body, 'orgName')).toBe('北京&quot;&lt;b&gt;某某科技有限公司');
      expect(checkedRadio(response.body, 'registrationRegion')).toBe('foreign');
      expect(checkedRadio(response.body, 'orgType')).toBe('social_organization');
      expect(inputValue(response.body, 'uscc')).toBe('91110108abc');
      expect(inputValue(response.body, 'registrationNumber')).toBe('HRB 12345/B');
      expect(selectedOption(response.body, 'repIdentityType')).toBe('other');
      expect(selectedOption(response.body, 'repDocumentType')).toBe('passport');
      expect(inputValue(response.body, 'repDocumentNumber')).toBe('E12345678');
      expect(isChecked(response.body, 'repDocumentLongTerm')).toBe(true);
      expect(isChecked(response.body, 'agentDocumentLongTerm')).toBe(false);
      expect(inputValue(response.body, 'agentDocumentValidUntil')).toBe('2040-01-31');
      expect(inputValue(response.body, 'agentMobile')).toBe(form.agentMobile);
      expect(inputValue(response.body, 'repName')).toBe(form.repName);
      expect(inputValue(response.body, 'smsCode')).toBe('654321');
      expect(inputValue(response.body, 'password')).toBe('');
      expect(inputValue(response.body, 'confirmPassword')).toBe('');
      expect(response.body).not.toContain('Secret-Typed-1');
      expect(response.body).not.toContain('<b>');
    });

    test('when the login name is taken in another case, then 400 with its message, and the SMS code still works once the name is changed', async () => {
      const first = validForm();
      expect((await register(first)).submitted.status).toBe(303);

      const second = validForm({ loginName: first.loginName!.toUpperCase() });
      const { agent, page } = await openForm();
      const { code, page: afterSms } = await sendCode(agent, page, second);
      const taken = await post(agent, afterSms, 'register', { ...second, smsCode: code });
      expect(taken.status).toBe(400);
      expect(fieldNote(taken.body, 'loginName')).toEqual({ kind: 'error', text: '该登录名已被注册' });
      expect(errorFields(taken.body)).toEqual(['loginName']);
      expect(inputValue(taken.body, 'smsCode')).toBe(code);

      // A refused form did not spend the code: another name registers with it.
      const retry = await post(agent, taken.body, 'register', { ...second, loginName: unique('org'), smsCode: code });
      expect(retry.status).toBe(303);
    });

    test('when a form with a sent code is refused for another field, then nothing is stored and the code is still unspent', async () => {
      const form = validForm();
      const { agent, page } = await openForm();
      const { code, page: afterSms } = await sendCode(agent, page, form);
      const refused = await post(agent, afterSms, 'register', { ...form, smsCode: code, repDocumentNumber: '110105199002300000' });
      expect(refused.status).toBe(400);
      expect(errorFields(refused.body)).toEqual(['repDocumentNumber']);
      expect(await accountIdOf(form.loginName!)).toBeUndefined();
      expect(await app.context.accounts.orgNameRegistered(form.orgName!)).toBe(false);
      const codes = await app.context.db('sms_codes').where({ mobile_index: app.context.crypt.blindIndex(form.agentMobile!) });
      expect(codes.map((row) => [row.used_at, row.attempts])).toEqual([[null, 0]]);
      expect(await app.context.db('legal_profiles').where({ uscc: form.uscc! })).toEqual([]);
    });
  });

  describe('the SMS code to the main agent', () => {
    test('when 获取验证码 is pressed with a wrong captcha, then 400 with the captcha message, a new captcha, and no SMS', async () => {
      const { agent, page } = await openForm();
      const form = validForm();
      const response = await post(agent, page, 'send_sms', { ...form, captcha: 'nope' });
      expect(response.status).toBe(400);
      expect(fieldNote(response.body, 'captcha')).toEqual({ kind: 'error', text: '图形验证码错误或已过期，请重新输入' });
      expect(hiddenInput(response.body, 'captchaId')).not.toBe(hiddenInput(page, 'captchaId'));
      expect(inputValue(response.body, 'agentMobile')).toBe(form.agentMobile);
      expect(await outboxCodes(app, form.agentMobile!)).toEqual([]);
    });

    test('when 获取验证码 is pressed without a captcha, then 400 with the captcha message and no SMS', async () => {
      const { agent, page } = await openForm();
      const form = validForm();
      const response = await post(agent, page, 'send_sms', { ...form, captcha: ' ' });
      expect(response.status).toBe(400);
      expect(fieldNote(response.body, 'captcha')).toEqual({ kind: 'error', text: '请输入图形验证码' });
      expect(await outboxCodes(app, form.agentMobile!)).toEqual([]);
    });

    test('when 获取验证码 is pressed with a bad main agent mobile, then 400 with the message under that mobile and no SMS', async () => {
      const { agent, page } = await openForm();
      const response = await post(agent, page, 'send_sms', { ...validForm(), agentMobile: '1391234', captcha: CAPTCHA_ANSWER });
      expect(response.status).toBe(400);
      expect(fieldNote(response.body, 'agentMobile')).toEqual({ kind: 'error', text: '请输入正确的 11 位手机号码' });
      expect(errorFields(response.body)).toEqual(['agentMobile']);
    });

    test('when the captcha is right, then a register code goes to the main agent (not the legal representative), the page says so and keeps the form', async () => {
      const { agent, page } = await openForm();
      const form = validForm({ orgType: 'public_institution' });
      const response = await post(agent, page, 'send_sms', { ...form, captcha: CAPTCHA_ANSWER });
      expect(response.status).toBe(200);
      expect(fieldNote(response.body, 'smsCode')).toEqual({ kind: 'ok', text: '验证码已发送至您的手机，5 分钟内有效；60 秒后可重新获取。' });
      expect(inputValue(response.body, 'orgName')).toBe(form.orgName);
      expect(inputValue(response.body, 'uscc')).toBe(form.uscc);
      expect(inputValue(response.body, 'repDocumentNumber')).toBe(form.repDocumentNumber);
      expect(checkedRadio(response.body, 'orgType')).toBe('public_institution');
      const [message] = await app.context.smsOutbox.recent({ mobile: form.agentMobile!, limit: 10 });
      expect(message).toMatchObject({ mobile: form.agentMobile, template: 'code_register' });
      expect(await outboxCodes(app, form.repMobile!)).toEqual([]);
    });

    test('when a second code is asked within 60 s, then 429 with the wait in seconds, and no second SMS', async () => {
      const { agent, page } = await openForm();
      const form = validForm();
      const { page: afterSms } = await sendCode(agent, page, form);
      const again = await post(agent, afterSms, 'send_sms', { ...form, captcha: CAPTCHA_ANSWER });
      expect(again.status).toBe(429);
      expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(fieldNote(again.body, 'smsCode')?.text).toMatch(/^验证码已发送，请 \d+ 秒后再重新获取$/);
      expect(await outboxCodes(app, form.agentMobile!)).toHaveLength(1);
    });

    test('when the code is asked in place (POST /sms/code, as the page\'s script does), then it registers the form', async () => {
      const { agent, page } = await openForm();
      const form = validForm();
      const sent = await agent.request(`${app.url}/sms/code`, {
        json: { mobile: form.agentMobile, purpose: 'register', captchaId: hiddenInput(page, 'captchaId'), captcha: CAPTCHA_ANSWER },
        headers: { accept: 'application/json', 'x-csrf-token': hiddenInput(page, 'csrf')! },
      });
      expect(sent.status).toBe(200);
      const [code] = await outboxCodes(app, form.agentMobile!);
      expect((await post(agent, page, 'register', { ...form, smsCode: code! })).status).toBe(303);
    });

    test('when the SMS code is wrong, then 400 with the attempts left, and no account', async () => {
      const { agent, page } = await openForm();
      const form = validForm();
      const { code, page: afterSms } = await sendCode(agent, page, form);
      const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
      const response = await post(agent, afterSms, 'register', { ...form, smsCode: wrong });
      expect(response.status).toBe(400);
      expect(fieldNote(response.body, 'smsCode')).toEqual({ kind: 'error', text: '短信验证码错误，还可尝试 4 次' });
      expect(await accountIdOf(form.loginName!)).toBeUndefined();
    });

    test('when the code went to the legal representative\'s mobile, then it does not prove the main agent\'s: 400, no account', async () => {
      const form = validForm();
      const { agent, page } = await openForm();
      // The representative's mobile typed as the agent's when asking, then corrected.
      const { code, page: afterSms } = await sendCode(agent, page, { ...form, agentMobile: form.repMobile! });
      const response = await post(agent, afterSms, 'register', { ...form, smsCode: code });
      expect(response.status).toBe(400);
      expect(fieldNote(response.body, 'smsCode')).toEqual({ kind: 'error', text: '请先获取短信验证码（每个验证码只能使用一次）' });
      expect(await accountIdOf(form.loginName!)).toBeUndefined();
    });

    test('when the code is older than 5 minutes (clock moved on), then 400 says it expired, and no account', async () => {
      const { agent, page } = await openForm();
      const form = validForm();
      const { code, page: afterSms } = await sendCode(agent, page, form);
      clock.advance(5 * 60 + 1);
      const response = await post(agent, afterSms, 'register', { ...form, smsCode: code });
      expect(response.status).toBe(400);
      expect(fieldNote(response.body, 'smsCode')).toEqual({ kind: 'error', text: '短信验证码已过期，请重新获取' });
      expect(await accountIdOf(form.loginName!)).toBeUndefined();
    });

    test('when a code that already registered a unit is used again, then 400 and no second account', async () => {
      const form = validForm();
      const { code, submitted } = await register(form);
      expect(submitted.status).toBe(303);
      const { agent, page } = await openForm();
      const again = validForm({ agentMobile: form.agentMobile!, smsCode: code });
      const response = await post(agent, page, 'register', again);
      expect(response.status).toBe(400);
      expect(fieldNote(response.body, 'smsCode')).toEqual({ kind: 'error', text: '请先获取短信验证码（每个验证码只能使用一次）' });
      expect(await accountIdOf(again.loginName!)).toBeUndefined();
    });
  });

  describe('the lookups (检索登录名 / 检索单位名称 / 检索统一社会信用代码)', () => {
    test('when a login name is checked, then a free one can be used and a taken one (other case) is taken', async () => {
      const { agent, page } = await openForm();
      const free = await post(agent, page, 'check_login_name', { loginName: unique('free') });
      expect(free.status).toBe(200);
      expect(fieldNote(free.body, 'loginName')).toEqual({ kind: 'ok', text: '该登录名可以使用。' });
      const form = validForm();
      expect((await register(form)).submitted.status).toBe(303);
      const taken = await post(agent, page, 'check_login_name', { loginName: form.loginName!.toUpperCase() });
      expect(fieldNote(taken.body, 'loginName')).toEqual({ kind: 'error', text: '该登录名已被注册' });
    });

    test('when a unit name is checked, then it exists once a legal account uses it (full-width brackets and spaces alike), and not before', async () => {
      const orgName = `${uniqueName()}${unique('')}（北京）科技有限公司`;
      const { agent, page } = await openForm();
      const check = (name: string) => post(agent, page, 'check_org_name', { orgName: name });
      const before = await check(orgName);
      expect(before.status).toBe(200);
      expect(fieldNote(before.body, 'orgName')).toEqual({ kind: 'ok', text: '该单位名称尚未注册法人账号。' });

      expect((await register(validForm({ orgName }))).submitted.status).toBe(303);
      const after = await check(` ${orgName.replace('（北京）', '(北京) ')}`);
      expect(after.status).toBe(200);
      expect(fieldNote(after.body, 'orgName')).toEqual({
        kind: 'error',
        text: '该单位名称已注册法人账号。如为本单位的账号，请直接登录；忘记登录名或密码的，请通过“忘记密码”找回。',
      });
      expect(inputValue(after.body, 'orgName')).toBe(` ${orgName.replace('（北京）', '(北京) ')}`);
    });

    test('when an empty or overlong unit name is checked, then 400 with the field message', async () => {
      const { agent, page } = await openForm();
      const empty = await post(agent, page, 'check_org_name', { orgName: '' });
      expect(empty.status).toBe(400);
      expect(fieldNote(empty.body, 'orgName')).toEqual({ kind: 'error', text: '请输入单位名称' });
      const long = await post(agent, page, 'check_org_name', { orgName: '科'.repeat(101) });
      expect(fieldNote(long.body, 'orgName')).toEqual({ kind: 'error', text: '单位名称过长' });
    });

    test('when a USCC is checked, then it is free until it verifies a legal account; registered-but-unverified still counts as free', async () => {
      const form = validForm();
      const { agent, page } = await openForm();
      const check = () => post(agent, page, 'check_uscc', { uscc: form.uscc!.toLowerCase() });
      expect(fieldNote((await check()).body, 'uscc')).toEqual({ kind: 'ok', text: '该统一社会信用代码尚未用于法人实名认证。' });

      // Registered under a unit name the register does not know: unverified, the code still free.
      expect((await register({ ...form, orgName: `${form.orgName}分公司` })).submitted.status).toBe(303);
      expect(fieldNote((await check()).body, 'uscc')?.kind).toBe('ok');

      await listInRegister(form);
      expect((await register(validForm({ uscc: form.uscc!, orgName: form.orgName!, repName: form.repName! }))).submitted.status).toBe(303);
      const taken = await check();
      expect(taken.status).toBe(200);
      expect(fieldNote(taken.body, 'uscc')).toEqual({
        kind: 'error',
        text: '该统一社会信用代码已完成法人实名认证。一个统一社会信用代码只能实名认证一个法人账号；如需找回原账号，请使用“单位法人用户申诉找回密码”。',
      });
    });

    test.each<[string, string, string]>([
      ['empty', '', '请输入统一社会信用代码'],
      ['too short', '9111010800000', '统一社会信用代码应为 18 位'],
      ['with a wrong check character', withWrongCheck(uniqueUscc()), '统一社会信用代码校验位不正确，请核对'],
    ])('when a USCC that is %s is checked, then 400 with its message', async (_case, uscc, message) => {
      const { agent, page } = await openForm();
      const response = await post(agent, page, 'check_uscc', { uscc });
      expect(response.status).toBe(400);
      expect(fieldNote(response.body, 'uscc')).toEqual({ kind: 'error', text: message });
    });

    test.each([['check_login_name'], ['check_org_name'], ['check_uscc']])(
      'when one address makes more %s lookups than the limit, then 429 with Retry-After, while another address is still answered',
      async (action) => {
        const { agent, page } = await openForm();
        const form: Form = { loginName: unique('lim'), orgName: `${unique('lim')}有限公司`, uscc: uniqueUscc() };
        for (let i = 0; i < CHECKS_PER_WINDOW; i += 1) expect((await post(agent, page, action, form)).status).toBe(200);
        const limited = await post(agent, page, action, form);
        expect(limited.status).toBe(429);
        expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(limited.body).toContain('操作过于频繁，请稍后再试。');
        expect(errorFields(limited.body)).toEqual([]);
        expect(limited.body).not.toContain('class="field__ok"');

        const other = await openForm();
        expect((await post(other.agent, other.page, action, form)).status).toBe(200);
      },
    );

    test('when the limit is reached on the legal form, then the natural form\'s lookups are limited too (one budget per address)', async () => {
      const { agent, page } = await openForm();
      for (let i = 0; i < CHECKS_PER_WINDOW; i += 1) await post(agent, page, 'check_uscc', { uscc: uniqueUscc() });
      const natural = await agent.request(`${app.url}/register/natural`);
      const document = await post(agent, natural.body, 'check_document', { identityType: 'mainland', documentType: 'resident_id', documentNumber: uniqueResidentId() }, '', '/register/natural');
      expect(document.status).toBe(429);
    });

    test('when malformed values are checked, then they are told without spending the address\'s lookups', async () => {
      const { agent, page } = await openForm();
      for (let i = 0; i < CHECKS_PER_WINDOW + 5; i += 1) expect((await post(agent, page, 'check_uscc', { uscc: 'bad' })).status).toBe(400);
      expect((await post(agent, page, 'check_uscc', { uscc: uniqueUscc() })).status).toBe(200);
    });
  });

  describe('a completed registration', () => {
    test('when the unit is in the enterprise register, then the account is verified with the main agent\'s mobile as its reserved mobile, and the result page is step 3 注册完成', async () => {
      const form = validForm({ uscc: uniqueUscc().toLowerCase(), orgType: 'social_organization' });
      await listInRegister(form);
      const { agent, submitted } = await register(form);
      expect(submitted.status).toBe(303);
      expect(submitted.location).toMatch(new RegExp(`^${app.url}/register/legal/result/[0-9a-f-]{36}$`));

      const account = await accountOf(form.loginName!);
      expect(account).toMatchObject({ kind: 'legal', loginName: form.loginName, mobile: form.agentMobile, mobileVerified: true, realNameStatus: 'verified', status: 'active' });
      expect(account.realNameVerifiedAt).toBeInstanceOf(Date);
      expect(account.legal).toMatchObject({
        orgName: form.orgName,
        registrationRegion: 'domestic',
        orgType: 'social_organization',
        uscc: form.uscc!.toUpperCase(),
        registrationNumber: null,
        legalRepresentative: { name: form.repName, identityType: 'mainland', documentType: 'resident_id', documentLongTerm: true, documentValidUntil: null },
        mainAgent: { name: form.agentName, documentLongTerm: false, documentValidUntil: '2045-06-30' },
      });
      expect(account.legal!.legalRepresentative!.documentNumberMasked).toBe(`${form.repDocumentNumber!.slice(0, 3)}***********${form.repDocumentNumber!.slice(-4)}`);
      expect(account.legal!.legalRepresentative!.mobileMasked).not.toContain(form.repMobile!);
      // The password works for sign-in (argon2id stored).
      const credentials = await app.context.accounts.findCredentials(form.loginName!);
      expect(credentials!.passwordHash).toMatch(/^\$argon2id\$/);
      expect(await app.context.hasher.verify(credentials!.passwordHash!, form.password!)).toBe(true);
      expect(await app.context.entityVerification.usccAlreadyVerified(form.uscc!)).toBe(true);

      const result = await agent.request(submitted.location!);
      expect(result.status).toBe(200);
      expect(result.body).toContain('<h1 id="result-title" class="card__title">单位用户（法人）注册</h1>');
      expect(currentStep(result.body)).toBe('3 注册完成');
      expect(result.body).toContain(`账号已注册，登录名：${form.loginName}`);
      expect(result.body).toContain('法人实名认证已通过，注册完成。');
      expect(hrefs(result.body)).toContain('/portal/login?login_type=legal');
      for (const secret of [form.repDocumentNumber!, form.agentDocumentNumber!, form.agentMobile!]) expect(result.body).not.toContain(secret);
    });

    test('when the legal representative is not the registered one, then the account stays unverified, and the result page is step 2 with what to do', async () => {
      const form = validForm();
      await app.context.referenceEntities.upsert([{ uscc: form.uscc!, orgName: form.orgName!, legalRepresentativeName: uniqueName() + '某' }]);
      const { agent, submitted } = await register(form);
      expect(submitted.status).toBe(303);
      expect(await accountOf(form.loginName!)).toMatchObject({ realNameStatus: 'unverified', realNameVerifiedAt: null, mobileVerified: true });
      const result = await agent.request(submitted.location!);
      expect(currentStep(result.body)).toBe('2 用户实名认证');
      expect(result.body).toContain(`账号已注册，登录名：${form.loginName}`);
      expect(result.body).toContain('法人实名认证未通过：单位名称、统一社会信用代码和法定代表人姓名与企业登记信息不一致。');
      expect(result.body).toContain('“在线办事—我的信息—修改法人信息”中核对修改');
      expect(result.body).toContain('上传营业执照、法定代表人身份证件及加盖单位公章的授权书，申请人工审核');
      expect(result.body).toContain('href="/portal/login?login_type=legal">登录并前往我的信息</a>');
      expect(result.body).not.toContain('注册完成。');
    });

    test('when the USCC already verified another account, then the new account is registered unverified (document_taken) and the result page points to the appeal', async () => {
      const form = validForm();
      await listInRegister(form);
      expect((await register(form)).submitted.status).toBe(303);

      const second = validForm({ uscc: form.uscc!, orgName: form.orgName!, repName: form.repName! });
      const { agent, submitted } = await register(second);
      expect(submitted.status).toBe(303);
      expect((await accountOf(second.loginName!)).realNameStatus).toBe('unverified');
      const verification = await app.context.db('audit_events').where({ event: 'verification.automatic', subject_id: await accountIdOf(second.loginName!) }).first();
      expect(verification).toMatchObject({ outcome: 'refused' });
      expect(verification.details).toMatchObject({ kind: 'legal', result: 'document_taken' });
      const result = await agent.request(submitted.location!);
      expect(currentStep(result.body)).toBe('2 用户实名认证');
      expect(result.body).toContain('该统一社会信用代码已用于其他法人账号的实名认证（一个统一社会信用代码只能实名认证一个法人账号）');
      expect(result.body).toMatch(/<a class="button" href="[^"]+">申诉找回<\/a>/);
    });

    test.each([['hmt', 'HK-12345678'], ['foreign', 'HRB 98765 B']])(
      'when a %s unit registers, then its own registration number is stored, no USCC, and verification is incomplete: the manual-review advice',
      async (region, registrationNumber) => {
        const form = validForm({ registrationRegion: region, uscc: '', registrationNumber: ` ${registrationNumber} `, orgName: `${unique('Acme')} Ltd.` });
        const { agent, submitted } = await register(form);
        expect(submitted.status).toBe(303);
        const account = await accountOf(form.loginName!);
        expect(account).toMatchObject({ realNameStatus: 'unverified', mobile: form.agentMobile });
        expect(account.legal).toMatchObject({ registrationRegion: region, uscc: null, registrationNumber });
        const result = await agent.request(submitted.location!);
        expect(currentStep(result.body)).toBe('2 用户实名认证');
        expect(result.body).toContain('港澳台地区及境外单位不能通过企业登记信息自动认证。');
        expect(result.body).toContain('上传营业执照或注册证明、法定代表人身份证件及加盖单位公章的授权书，申请人工审核');
      },
    );

    test('when a domestic unit also typed a registration number, then only the USCC is kept', async () => {
      const form = validForm({ registrationNumber: 'typed-before-switching' });
      expect((await register(form)).submitted.status).toBe(303);
      expect((await accountOf(form.loginName!)).legal).toMatchObject({ uscc: form.uscc, registrationNumber: null });
    });

    test.each<[string, string]>([
      ['/interaction/abcDEF_123', '/interaction/abcDEF_123?window=legal'],
      ['/portal/me', '/portal/me'],
    ])('when registration started from %s, then the result page 登录 button returns there (%s)', async (returnTo, expected) => {
      const query = `?return_to=${encodeURIComponent(returnTo)}`;
      const { agent, submitted } = await register(validForm(), query);
      expect(submitted.status).toBe(303);
      const result = await agent.request(submitted.location!);
      expect(hrefs(result.body)).toContain(expected);
      expect(result.body).toMatch(/<a class="button button--primary" href="[^"]+">登录<\/a>/);
    });

    test('when the result page is opened by another browser, with a made-up id, or as a natural registration, then 404 and nothing about the account', async () => {
      const form = validForm();
      const { agent, submitted } = await register(form);
      const stranger = await new UserAgent().request(submitted.location!);
      expect(stranger.status).toBe(404);
      expect(stranger.body).not.toContain(form.loginName!);
      const other = await openForm();
      expect((await other.agent.request(submitted.location!)).status).toBe(404);
      expect((await other.agent.request(`${app.url}/register/legal/result/not-a-uuid`)).status).toBe(404);
      expect((await other.agent.request(`${app.url}/register/legal/result/${crypto.randomUUID()}`)).status).toBe(404);
      // The same browser, the flow of a legal account, the natural form's result path.
      const asNatural = await agent.request(submitted.location!.replace('/register/legal/', '/register/natural/'));
      expect(asNatural.status).toBe(404);
      expect(asNatural.body).not.toContain(form.loginName!);
    });

    test('when the form is posted without its CSRF token or with another browser\'s, then 403 and no account, no SMS', async () => {
      const { agent } = await openForm();
      const form = validForm();
      expect((await agent.request(`${app.url}/register/legal`, { form: { ...form, action: 'register' } })).status).toBe(403);
      const other = await openForm();
      const foreign = await agent.request(`${app.url}/register/legal`, { form: { ...form, csrf: hiddenInput(other.page, 'csrf')!, action: 'register' } });
      expect(foreign.status).toBe(403);
      const sms = await agent.request(`${app.url}/register/legal`, { form: { ...form, captcha: CAPTCHA_ANSWER, captchaId: hiddenInput(other.page, 'captchaId')!, action: 'send_sms' } });
      expect(sms.status).toBe(403);
      const lookup = await agent.request(`${app.url}/register/legal`, { form: { uscc: form.uscc!, action: 'check_uscc' } });
      expect(lookup.status).toBe(403);
      expect(await accountIdOf(form.loginName!)).toBeUndefined();
      expect(await outboxCodes(app, form.agentMobile!)).toEqual([]);
    });

    test('when a unit is registered, then account.created (kind legal) and the verification are audited with actor anonymous and the address', async () => {
      const form = validForm();
      const { ip, submitted } = await register(form);
      expect(submitted.status).toBe(303);
      const id = (await accountIdOf(form.loginName!))!;
      const created = await app.context.db('audit_events').where({ event: 'account.created', subject_id: id }).first();
      expect(created).toMatchObject({ outcome: 'success', actor_type: 'anonymous', actor_id: null, subject_type: 'account' });
      expect(String(created.ip)).toBe(ip);
      expect(created.details).toMatchObject({ kind: 'legal' });
      const verification = await app.context.db('audit_events').where({ event: 'verification.automatic', subject_id: id }).first();
      expect(verification).toMatchObject({ outcome: 'failure', actor_type: 'anonymous' });
      expect(verification.details).toMatchObject({ kind: 'legal', result: 'mismatch' });
      expect(String(verification.ip)).toBe(ip);
    });

    test('when a unit is registered, then no table or log line holds the password, a document number or a mobile in clear, and sms_codes only a hash', async () => {
      const form = validForm({ password: `Only-Here-${unique('pw')}` });
      form.confirmPassword = form.password!;
      await listInRegister(form);
      const { code, submitted } = await register(form);
      expect(submitted.status).toBe(303);
      const id = (await accountIdOf(form.loginName!))!;
      const mobileIndex = app.context.crypt.blindIndex(form.agentMobile!);

      const codes = await app.context.db('sms_codes').where({ mobile_index: mobileIndex });
      expect(codes).toHaveLength(1);
      expect(codes[0].code_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(codes[0].used_at).not.toBeNull();

      const stored = JSON.stringify({
        codes,
        accounts: await app.context.db('accounts').where({ id }),
        profiles: await app.context.db('legal_profiles').where({ account_id: id }),
        flows: await app.context.db('registration_flows').where({ account_id: id }),
        audit: await app.context.db('audit_events').whereIn('subject_id', [id, mobileIndex]),
        claims: await app.context.db('entity_claims').where({ account_id: id }),
      });
      expect(stored).toContain(id);
      expect(stored).toContain(form.uscc!); // public registry data, not personal data
      for (const secret of [form.password!, form.repDocumentNumber!, form.agentDocumentNumber!, form.repMobile!, form.agentMobile!]) {
        expect(stored).not.toContain(secret);
      }

      const log = logs.text();
      expect(log).toContain('/register/legal');
      for (const secret of [form.password!, form.repDocumentNumber!, form.agentDocumentNumber!, form.repMobile!, form.agentMobile!, `验证码 ${code}`]) {
        expect(log).not.toContain(secret);
      }
    });
  });
});

describe('legal-entity registration while the enterprise registry is down', () => {
  let app: TestApp;
  const asked: string[] = [];
  const downRegistry: EnterpriseRegistry = {
    async checkEntity(query) {
      asked.push(query.uscc);
      throw new EnterpriseRegistryUnavailable('timeout', 'no answer within the deadline');
    },
  };

  beforeAll(async () => {
    app = await startTestApp({ env: { TRUST_PROXY: 'true', CAPTCHA_TEST_ANSWER: CAPTCHA_ANSWER }, enterpriseRegistry: downRegistry });
  });
  afterAll(() => app?.close());

  test('when a unit registers, then the account is kept unverified, and the result page says to try later or ask for manual review, never that the data is wrong', async () => {
    const agent = new UserAgent({ 'x-forwarded-for': uniqueIp() });
    const page = (await agent.request(`${app.url}/register/legal`)).body;
    const uscc = uniqueUscc();
    const form: Form = {
      loginName: unique('org'), password: STRONG_PASSWORD, confirmPassword: STRONG_PASSWORD, orgName: `${uniqueName()}${unique('')}有限公司`,
      registrationRegion: 'domestic', orgType: 'enterprise', uscc,
      repName: uniqueName(), repMobile: uniqueMobile(), repIdentityType: 'mainland', repDocumentType: 'resident_id', repDocumentNumber: uniqueResidentId(), repDocumentLongTerm: 'on',
      agentName: uniqueName(), agentMobile: uniqueMobile(), agentIdentityType: 'mainland', agentDocumentType: 'resident_id', agentDocumentNumber: uniqueResidentId(), agentDocumentLongTerm: 'on',
      agreement: 'on',
    };
    const fields = { csrf: hiddenInput(page, 'csrf')!, captchaId: hiddenInput(page, 'captchaId')! };
    const sent = await agent.request(`${app.url}/register/legal`, { form: { ...fields, ...form, captcha: CAPTCHA_ANSWER, action: 'send_sms' } });
    expect(sent.status).toBe(200);
    const code = await outboxCode(app, form.agentMobile!);
    const submitted = await agent.request(`${app.url}/register/legal`, { form: { ...fields, ...form, smsCode: code, action: 'register' } });
    expect(submitted.status).toBe(303);
    expect(asked).toEqual([uscc]);

    const id = (await app.context.accounts.findCredentials(form.loginName!))!.id;
    expect((await app.context.accounts.findById(id))!.realNameStatus).toBe('unverified');
    const result = await agent.request(submitted.location!);
    expect(currentStep(result.body)).toBe('2 用户实名认证');
    expect(result.body).toContain('企业登记信息核验服务暂时不可用，账号已保存。');
    expect(result.body).not.toContain('不一致');
  });
});

describe('legal-entity registration while the SMS gateway is down', () => {
  let app: TestApp;
  const gateway = new FakeGateway();

  beforeAll(async () => {
    await gateway.listen();
    gateway.answer = answers.json(500, {});
    app = await startTestApp({
      env: { TRUST_PROXY: 'true', CAPTCHA_TEST_ANSWER: CAPTCHA_ANSWER, SMS_ADAPTER: 'http', SMS_HTTP_URL: gateway.url, SMS_HTTP_TOKEN: 'gateway-token-0123456789', SMS_TIMEOUT_MS: '500' },
    });
  });
  afterAll(async () => {
    await app?.close();
    await gateway.close();
  });

  test('when 获取验证码 is pressed, then 503 with "try later" beside the code, and the form comes back as typed', async () => {
    const agent = new UserAgent({ 'x-forwarded-for': uniqueIp() });
    const page = (await agent.request(`${app.url}/register/legal`)).body;
    const form: Form = { loginName: unique('org'), orgName: `${uniqueName()}有限公司`, registrationRegion: 'domestic', uscc: uniqueUscc(), repName: uniqueName(), agentMobile: uniqueMobile() };
    const response = await agent.request(`${app.url}/register/legal`, {
      form: { csrf: hiddenInput(page, 'csrf')!, captchaId: hiddenInput(page, 'captchaId')!, ...form, captcha: CAPTCHA_ANSWER, action: 'send_sms' },
    });
    expect(response.status).toBe(503);
    expect(fieldNote(response.body, 'smsCode')).toEqual({ kind: 'error', text: '短信发送服务暂时不可用，请稍后再试' });
    expect(gateway.requests).toHaveLength(1);
    for (const field of ['loginName', 'orgName', 'uscc', 'repName', 'agentMobile']) expect(inputValue(response.body, field)).toBe(form[field]);
  });
});
