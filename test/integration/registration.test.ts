/**
 * 自然人注册 through HTTP, as a browser without JavaScript drives it: the landing page, every field
 * rule with its own message, the two lookups and their rate limit, the SMS code (captcha first,
 * the code read from the development outbox, expiry on an injected clock), the stored account with
 * its real-name verification, the result page, and what must never be stored or logged in clear.
 */
import crypto from 'node:crypto';
import { CHECKS_PER_WINDOW } from '../../src/flows/registration/registration-form.js';
import { uniqueIp } from '../support/accounts.js';
import { uniqueName, uniqueResidentId } from '../support/identities.js';
import { outboxCodes } from '../support/sms-outbox.js';
import { TestClock } from '../support/test-clock.js';
import { captureLogs, startTestApp, STRONG_PASSWORD, type TestApp, unique, uniqueMobile } from '../support/test-app.js';
import { currentStep, errorFields, fieldNote, hiddenInput, hrefs, inputValue, selectedOption, UserAgent } from '../support/user-agent.js';

const CAPTCHA_ANSWER = 'reg7';
const GB11643_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/** The 18-character number for these 17 characters, with its correct check character. */
function withCheckCharacter(first17: string): string {
  const sum = [...first17].reduce((total, digit, i) => total + Number(digit) * GB11643_WEIGHTS[i]!, 0);
  return first17 + '10X98765432'[sum % 11];
}

type Form = Record<string, string>;

describe('natural-person registration (自然人注册) over HTTP', () => {
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

  /** A browser with an address of its own that has opened the registration form. */
  async function openForm(query = '') {
    const ip = uniqueIp();
    const agent = new UserAgent({ 'x-forwarded-for': ip });
    const page = await agent.request(`${app.url}/register/natural${query}`);
    expect(page.status).toBe(200);
    return { agent, ip, page: page.body };
  }

  /** Posts the form with `action`, carrying the page's CSRF token and captcha id like the browser does. */
  function post(agent: UserAgent, page: string, action: string, form: Form, query = '') {
    return agent.request(`${app.url}/register/natural${query}`, {
      form: { csrf: hiddenInput(page, 'csrf') ?? '', captchaId: hiddenInput(page, 'captchaId') ?? '', ...form, action },
    });
  }

  /** A form every rule accepts; `smsCode` is a placeholder until a code is sent. */
  function validForm(overrides: Form = {}): Form {
    const password = STRONG_PASSWORD;
    return {
      loginName: unique('reg'),
      password,
      confirmPassword: password,
      name: uniqueName(),
      identityType: 'mainland',
      documentType: 'resident_id',
      documentNumber: uniqueResidentId(),
      mobile: uniqueMobile(),
      smsCode: '123456',
      agreement: 'on',
      ...overrides,
    };
  }

  /** 获取验证码 with the captcha answered; returns the code the outbox "sent". */
  async function sendCode(agent: UserAgent, page: string, form: Form, query = ''): Promise<{ code: string; page: string }> {
    const sent = await post(agent, page, 'send_sms', { ...form, captcha: CAPTCHA_ANSWER }, query);
    expect(sent.status).toBe(200);
    const [code] = await outboxCodes(app, form.mobile!);
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

  describe('the landing page (注册备案系统介绍)', () => {
    test('when it is opened, then it explains who registers as what and offers both registration buttons', async () => {
      const page = await new UserAgent().request(`${app.url}/register`);
      expect(page.status).toBe(200);
      expect(page.body).toContain('注册备案系统介绍');
      expect(page.body).toContain('谁可以注册？如何选择注册类型？');
      expect(page.body).toMatch(/<a class="button button--primary" href="\/register\/natural">自然人注册<\/a>/);
      expect(page.body).toMatch(/<a class="button button--primary" href="\/register\/legal">单位用户（法人）注册<\/a>/);
    });

    test.each([['/interaction/AbC_123-xyz'], ['/portal/me'], ['/portal']])(
      'when return_to is the local sign-in %s, then both buttons, the form and 返回登录 keep it',
      async (returnTo) => {
        const query = `?return_to=${encodeURIComponent(returnTo)}`;
        const page = await new UserAgent().request(`${app.url}/register${query}`);
        const links = hrefs(page.body);
        expect(links).toContain(`/register/natural${query}`);
        expect(links).toContain(`/register/legal${query}`);
        expect(links).toContain(returnTo);
        const form = await new UserAgent().request(`${app.url}/register/natural${query}`);
        expect(form.body).toContain(`action="/register/natural${query}"`);
        expect(hrefs(form.body)).toContain(`/register${query}`);
      },
    );

    test.each([['https://evil.example/'], ['//evil.example/x'], ['/\\evil.example'], ['javascript:alert(1)'], ['/interaction/../../evil'], ['/portalx']])(
      'when return_to is %s (not a local sign-in), then it is dropped everywhere',
      async (returnTo) => {
        const query = `?return_to=${encodeURIComponent(returnTo)}`;
        const page = await new UserAgent().request(`${app.url}/register${query}`);
        expect(page.status).toBe(200);
        const links = hrefs(page.body);
        expect(links).toContain('/register/natural');
        expect(links).toContain('/register/legal');
        expect(links).toContain('/'); // 返回登录 falls back to the home page
        // Only the language switch, a link to this very page, repeats the query (and it is dropped again there).
        expect(links.filter((link) => link.includes('return_to')).every((link) => link.startsWith('/register?'))).toBe(true);
        const form = await new UserAgent().request(`${app.url}/register/natural${query}`);
        expect(form.body).toContain('action="/register/natural"');
        const formLinks = hrefs(form.body);
        expect(formLinks).toContain('/register');
        expect(formLinks.filter((link) => link.includes('return_to')).every((link) => link.startsWith('/register/natural?'))).toBe(true);
      },
    );

    test('when the natural form is opened, then it shows step 1 of the three steps and every field, passwords empty', async () => {
      const { page } = await openForm();
      expect(currentStep(page)).toBe('1 填写账号及用户信息');
      expect(page).toContain('用户实名认证');
      expect(page).toContain('注册完成');
      for (const id of ['loginName', 'password', 'confirmPassword', 'name', 'documentNumber', 'mobile', 'captcha', 'smsCode']) {
        expect(inputValue(page, id)).toBeDefined();
      }
      expect(selectedOption(page, 'identityType')).toBe('mainland');
      expect(selectedOption(page, 'documentType')).toBe('resident_id');
      expect(page).toContain('《自然人实名认证协议》');
      expect(page).toMatch(/<input type="checkbox" name="agreement"(?! checked)/);
      expect(hiddenInput(page, 'csrf')).toBeTruthy();
      expect(hiddenInput(page, 'captchaId')).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('field rules: every wrong field gets its own message and a 4xx', () => {
    const withChecks = withCheckCharacter;
    test.each<[string, string, (form: Form) => Form, string]>([
      ['the agreement is not checked', 'agreement', (f) => ({ ...f, agreement: '' }), '请阅读并同意《自然人实名认证协议》'],
      ['the login name is too short', 'loginName', (f) => ({ ...f, loginName: 'ab1' }), '登录名长度应为 4–64 个字符'],
      ['the login name is too long', 'loginName', (f) => ({ ...f, loginName: 'a'.repeat(65) }), '登录名长度应为 4–64 个字符'],
      ['the login name has other characters', 'loginName', (f) => ({ ...f, loginName: 'zhang.san-1' }), '登录名只能包含字母、数字和下划线'],
      ['the login name is Chinese', 'loginName', (f) => ({ ...f, loginName: '张三丰先生' }), '登录名只能包含字母、数字和下划线'],
      ['the login name is empty', 'loginName', (f) => ({ ...f, loginName: '' }), '请输入登录名'],
      ['the password is too short', 'password', (f) => ({ ...f, password: 'Ab1!xyz', confirmPassword: 'Ab1!xyz' }), '密码至少 8 位'],
      ['the password has too few classes', 'password', (f) => ({ ...f, password: 'abcdefgh12', confirmPassword: 'abcdefgh12' }), '密码须包含大写字母、小写字母、数字、特殊符号中的至少 3 种'],
      ['the password is empty', 'password', (f) => ({ ...f, password: '', confirmPassword: '' }), '请输入密码'],
      ['the password equals the login name (other case)', 'password', (f) => ({ ...f, password: f.loginName!.toUpperCase() + '_a', confirmPassword: f.loginName!.toUpperCase() + '_a', loginName: f.loginName + '_A' }), '密码不能与登录名相同'],
      ['the confirmation differs', 'confirmPassword', (f) => ({ ...f, confirmPassword: `${f.password}x` }), '两次输入的密码不一致'],
      ['the name is empty', 'name', (f) => ({ ...f, name: '   ' }), '请输入姓名'],
      ['the name is longer than 50 characters', 'name', (f) => ({ ...f, name: '张'.repeat(51) }), '内容过长'],
      ['the identity type is unknown', 'identityType', (f) => ({ ...f, identityType: 'martian' }), '请从列表中选择'],
      ['the document type does not belong to the identity type', 'documentType', (f) => ({ ...f, documentType: 'passport' }), '证件类型与身份类型不符'],
      ['a mainland identity has an HMT permit', 'documentType', (f) => ({ ...f, documentType: 'hk_macau_permit', documentNumber: 'H12345678' }), '证件类型与身份类型不符'],
      ['the document number is empty', 'documentNumber', (f) => ({ ...f, documentNumber: '' }), '请输入证件号码'],
      ['the document number has a wrong check character', 'documentNumber', (f) => ({ ...f, documentNumber: f.documentNumber!.slice(0, 17) + (f.documentNumber!.endsWith('0') ? '1' : '0') }), '证件号码校验位不正确，请核对'],
      ['the document number has an impossible birth date', 'documentNumber', (f) => ({ ...f, documentNumber: withChecks('11010519990230123') }), '证件号码中的出生日期不正确'],
      ['the document number is born in the future', 'documentNumber', (f) => ({ ...f, documentNumber: withChecks('11010520990101123') }), '证件号码中的出生日期不正确'],
      ['the document number is too short', 'documentNumber', (f) => ({ ...f, documentNumber: '11010519900101' }), '证件号码位数不正确'],
      ['the mobile is too short', 'mobile', (f) => ({ ...f, mobile: '1391234567' }), '请输入正确的 11 位手机号码'],
      ['the mobile starts with 12', 'mobile', (f) => ({ ...f, mobile: '12912345678' }), '请输入正确的 11 位手机号码'],
      ['the SMS code is 5 digits', 'smsCode', (f) => ({ ...f, smsCode: '12345' }), '请输入 6 位短信验证码'],
      ['the SMS code has letters', 'smsCode', (f) => ({ ...f, smsCode: '12a456' }), '请输入 6 位短信验证码'],
      ['the SMS code is empty', 'smsCode', (f) => ({ ...f, smsCode: '' }), '请输入 6 位短信验证码'],
    ])('when %s, then 400 with that field message only and no account', async (_case, field, change, message) => {
      const { agent, page } = await openForm();
      const form = change(validForm());
      const response = await post(agent, page, 'register', form);
      expect(response.status).toBe(400);
      expect(fieldNote(response.body, field)).toEqual({ kind: 'error', text: message });
      expect(errorFields(response.body)).toEqual([field]);
      expect(response.body).toContain('请检查填写的内容');
      expect(response.body).toMatch(new RegExp(`name="${field}"[^>]*aria-describedby="[^"]*\\b${field}-note\\b[^"]*"[^>]*aria-invalid="true"`));
      if (form.loginName) expect(await accountIdOf(form.loginName)).toBeUndefined();
    });

    test('when every field is wrong at once, then every field has its own message in one answer', async () => {
      const { agent, page } = await openForm();
      const good = withCheckCharacter('11010519900101123');
      const response = await post(agent, page, 'register', {
        loginName: 'a!', password: 'short', confirmPassword: 'other', name: '', identityType: 'mainland', documentType: 'resident_id',
        documentNumber: good.slice(0, 17) + (good.endsWith('0') ? '1' : '0'), mobile: '123', smsCode: 'abc', agreement: '',
      });
      expect(response.status).toBe(400);
      expect(errorFields(response.body)).toEqual(['agreement', 'confirmPassword', 'documentNumber', 'loginName', 'mobile', 'name', 'password', 'smsCode'].sort());
    });

    test('when the form comes back with errors, then what was typed stays (passwords excepted), escaped', async () => {
      const { agent, page } = await openForm();
      const form = validForm({
        loginName: 'bad name"<b>', name: '陈"<i>小明', identityType: 'hmt', documentType: 'hk_macau_permit', documentNumber: 'H1234567', mobile: '13912345678',
        smsCode: '654321', password: 'Secret-Typed-1', confirmPassword: 'Secret-Typed-1',
      });
      const response = await post(agent, page, 'register', form);
      expect(response.status).toBe(400);
      expect(inputValue(response.body, 'loginName')).toBe('bad name&quot;&lt;b&gt;');
      expect(inputValue(response.body, 'name')).toBe('陈&quot;&lt;i&gt;小明');
      expect(selectedOption(response.body, 'identityType')).toBe('hmt');
      expect(selectedOption(response.body, 'documentType')).toBe('hk_macau_permit');
      expect(inputValue(response.body, 'documentNumber')).toBe('H1234567');
      expect(inputValue(response.body, 'mobile')).toBe('13912345678');
      expect(inputValue(response.body, 'smsCode')).toBe('654321');
      expect(response.body).toMatch(/<input type="checkbox" name="agreement" checked/);
      expect(inputValue(response.body, 'password')).toBe('');
      expect(inputValue(response.body, 'confirmPassword')).toBe('');
      expect(response.body).not.toContain('Secret-Typed-1');
      expect(response.body).not.toContain('<b>');
    });

    test('when the login name is taken in another case, then 400 with its message, and the SMS code still works for a free name', async () => {
      const first = validForm();
      const done = await register(first);
      expect(done.submitted.status).toBe(303);

      const second = validForm({ loginName: first.loginName!.toUpperCase() });
      const { agent, page } = await openForm();
      const { code, page: afterSms } = await sendCode(agent, page, second);
      const taken = await post(agent, afterSms, 'register', { ...second, smsCode: code });
      expect(taken.status).toBe(400);
      expect(fieldNote(taken.body, 'loginName')).toEqual({ kind: 'error', text: '该登录名已被注册' });
      expect(errorFields(taken.body)).toEqual(['loginName']);
      expect(inputValue(taken.body, 'smsCode')).toBe(code);

      // Choosing another name needs no new code: the first was not spent on a refused form.
      const retry = await post(agent, taken.body, 'register', { ...second, loginName: unique('reg'), smsCode: code });
      expect(retry.status).toBe(303);
    });

    test('when a check is asked for a bad identity type such as "constructor", then 400 with a field message, never a 500', async () => {
      const { agent, page } = await openForm();
      for (const identityType of ['constructor', '__proto__', 'toString', '']) {
        const response = await post(agent, page, 'check_document', { identityType, documentType: 'resident_id', documentNumber: uniqueResidentId() });
        expect(response.status).toBe(400);
        expect(errorFields(response.body).length).toBeGreaterThan(0);
      }
      const register = await post(agent, page, 'register', validForm({ identityType: 'constructor' }));
      expect(register.status).toBe(400);
      expect(fieldNote(register.body, 'identityType')?.text).toBe('请从列表中选择');
    });
  });

  describe('the SMS code', () => {
    test('when 获取验证码 is pressed with a wrong captcha, then 400 with the captcha message, a new captcha, and no SMS', async () => {
      const { agent, page } = await openForm();
      const form = validForm();
      const response = await post(agent, page, 'send_sms', { ...form, captcha: 'nope' });
      expect(response.status).toBe(400);
      expect(fieldNote(response.body, 'captcha')).toEqual({ kind: 'error', text: '图形验证码错误或已过期，请重新输入' });
      expect(hiddenInput(response.body, 'captchaId')).not.toBe(hiddenInput(page, 'captchaId'));
      expect(inputValue(response.body, 'mobile')).toBe(form.mobile);
      expect(await outboxCodes(app, form.mobile!)).toEqual([]);
    });

    test('when 获取验证码 is pressed without a captcha, then 400 with the captcha message and no SMS', async () => {
      const { agent, page } = await openForm();
      const form = validForm();
      const response = await post(agent, page, 'send_sms', { ...form, captcha: '' });
      expect(response.status).toBe(400);
      expect(fieldNote(response.body, 'captcha')).toEqual({ kind: 'error', text: '请输入图形验证码' });
      expect(await outboxCodes(app, form.mobile!)).toEqual([]);
    });

    test('when 获取验证码 is pressed with a bad mobile, then 400 with the mobile message and no SMS', async () => {
      const { agent, page } = await openForm();
      const response = await post(agent, page, 'send_sms', { ...validForm(), mobile: '1391234', captcha: CAPTCHA_ANSWER });
      expect(response.status).toBe(400);
      expect(fieldNote(response.body, 'mobile')).toEqual({ kind: 'error', text: '请输入正确的 11 位手机号码' });
      expect(await app.context.smsOutbox.recent({ mobile: '1391234', limit: 1 })).toEqual([]);
    });

    test('when the captcha is right, then a register code lands in the outbox and the page says it was sent, the form kept', async () => {
      const { agent, page } = await openForm();
      const form = validForm();
      const response = await post(agent, page, 'send_sms', { ...form, captcha: CAPTCHA_ANSWER });
      expect(response.status).toBe(200);
      expect(fieldNote(response.body, 'smsCode')).toEqual({ kind: 'ok', text: '验证码已发送至您的手机，5 分钟内有效；60 秒后可重新获取。' });
      expect(inputValue(response.body, 'loginName')).toBe(form.loginName);
      expect(inputValue(response.body, 'documentNumber')).toBe(form.documentNumber);
      const [message] = await app.context.smsOutbox.recent({ mobile: form.mobile!, limit: 10 });
      expect(message).toMatchObject({ mobile: form.mobile, template: 'code_register' });
      expect(message!.text).toMatch(/^【.+】验证码 \d{6}，您正在注册账号，5 分钟内有效。请勿泄露给他人。$/);
    });

    test('when a second code is asked within 60 s, then 429 with the wait in seconds in the field message, and no second SMS', async () => {
      const { agent, page } = await openForm();
      const form = validForm();
      const { page: afterSms } = await sendCode(agent, page, form);
      const again = await post(agent, afterSms, 'send_sms', { ...form, captcha: CAPTCHA_ANSWER });
      expect(again.status).toBe(429);
      expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(fieldNote(again.body, 'smsCode')?.text).toMatch(/^验证码已发送，请 \d+ 秒后再重新获取$/);
      expect(await outboxCodes(app, form.mobile!)).toHaveLength(1);
    });

    test('when the SMS code is wrong, then 400 with the attempts left, and no account', async () => {
      const { agent, page } = await openForm();
      const form = validForm();
      const { code, page: afterSms } = await sendCode(agent, page, form);
      const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
      const response = await post(agent, afterSms, 'register', { ...form, smsCode: wrong });
      expect(response.status).toBe(400);
      expect(fieldNote(response.body, 'smsCode')).toEqual({ kind: 'error', text: '短信验证码错误，还可尝试 4 次' });
      expect(errorFields(response.body)).toEqual(['smsCode']);
      expect(await accountIdOf(form.loginName!)).toBeUndefined();
    });

    test('when no code was ever sent to the mobile, then 400 asks to get one first', async () => {
      const { agent, page } = await openForm();
      const response = await post(agent, page, 'register', validForm());
      expect(response.status).toBe(400);
      expect(fieldNote(response.body, 'smsCode')).toEqual({ kind: 'error', text: '请先获取短信验证码（每个验证码只能使用一次）' });
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

    test('when a code just inside its 5 minutes is used, then it still registers', async () => {
      const { agent, page } = await openForm();
      const form = validForm();
      const { code, page: afterSms } = await sendCode(agent, page, form);
      clock.advance(5 * 60 - 5);
      const response = await post(agent, afterSms, 'register', { ...form, smsCode: code });
      expect(response.status).toBe(303);
    });

    test('when a code that already registered an account is used again, then 400 and no second account', async () => {
      const form = validForm();
      const { code, submitted } = await register(form);
      expect(submitted.status).toBe(303);
      const { agent, page } = await openForm();
      const again = validForm({ mobile: form.mobile!, smsCode: code });
      const response = await post(agent, page, 'register', again);
      expect(response.status).toBe(400);
      expect(fieldNote(response.body, 'smsCode')).toEqual({ kind: 'error', text: '请先获取短信验证码（每个验证码只能使用一次）' });
      expect(await accountIdOf(again.loginName!)).toBeUndefined();
    });
  });

  describe('the lookups (检索登录名 / 检索证件号码)', () => {
    test('when a free login name is checked, then the page says it can be used, and a taken one (other case) says taken', async () => {
      const { agent, page } = await openForm();
      const free = await post(agent, page, 'check_login_name', { loginName: unique('free') });
      expect(free.status).toBe(200);
      expect(fieldNote(free.body, 'loginName')).toEqual({ kind: 'ok', text: '该登录名可以使用。' });

      const form = validForm();
      expect((await register(form)).submitted.status).toBe(303);
      const taken = await post(agent, page, 'check_login_name', { loginName: form.loginName!.toUpperCase() });
      expect(taken.status).toBe(200);
      expect(fieldNote(taken.body, 'loginName')).toEqual({ kind: 'error', text: '该登录名已被注册' });
      expect(inputValue(taken.body, 'loginName')).toBe(form.loginName!.toUpperCase());
    });

    test('when a malformed login name is checked, then 400 with the rule it breaks', async () => {
      const { agent, page } = await openForm();
      const response = await post(agent, page, 'check_login_name', { loginName: 'no spaces' });
      expect(response.status).toBe(400);
      expect(fieldNote(response.body, 'loginName')).toEqual({ kind: 'error', text: '登录名只能包含字母、数字和下划线' });
    });

    test('when a document is checked, then it is free until it verifies an account, and registered-but-unverified still counts as free', async () => {
      const person = { name: uniqueName(), documentNumber: uniqueResidentId() };
      const { agent, page } = await openForm();
      const check = () => post(agent, page, 'check_document', { identityType: 'mainland', documentType: 'resident_id', documentNumber: person.documentNumber.toLowerCase() });
      expect(fieldNote((await check()).body, 'documentNumber')).toEqual({ kind: 'ok', text: '该证件号码尚未用于实名认证。' });

      // Registered under a name the register does not know: unverified, the document still free.
      expect((await register(validForm({ name: uniqueName(), documentNumber: person.documentNumber }))).submitted.status).toBe(303);
      expect(fieldNote((await check()).body, 'documentNumber')?.kind).toBe('ok');

      await app.context.referenceRegister.upsert([{ name: person.name, documentType: 'resident_id', documentNumber: person.documentNumber }]);
      expect((await register(validForm({ ...person }))).submitted.status).toBe(303);
      const taken = await check();
      expect(taken.status).toBe(200);
      expect(fieldNote(taken.body, 'documentNumber')).toEqual({
        kind: 'error',
        text: '该证件号码已完成实名认证。一个证件只能实名认证一个账号；如需找回原账号，请使用“自然人申诉找回密码”。',
      });
    });

    test('when a malformed document is checked, then 400 with its message, and a type mismatch names the document type', async () => {
      const { agent, page } = await openForm();
      const bad = await post(agent, page, 'check_document', { identityType: 'mainland', documentType: 'resident_id', documentNumber: withCheckCharacter('11010519990230123') });
      expect(bad.status).toBe(400);
      expect(fieldNote(bad.body, 'documentNumber')).toEqual({ kind: 'error', text: '证件号码中的出生日期不正确' });
      const mismatch = await post(agent, page, 'check_document', { identityType: 'other', documentType: 'resident_id', documentNumber: uniqueResidentId() });
      expect(mismatch.status).toBe(400);
      expect(fieldNote(mismatch.body, 'documentType')).toEqual({ kind: 'error', text: '证件类型与身份类型不符' });
    });

    test.each([['check_login_name'], ['check_document']])(
      'when one address makes more %s lookups than the limit, then 429 with Retry-After, while another address is still answered',
      async (action) => {
        const { agent, page } = await openForm();
        const form: Form = action === 'check_login_name' ? { loginName: unique('lim') } : { identityType: 'mainland', documentType: 'resident_id', documentNumber: uniqueResidentId() };
        for (let i = 0; i < CHECKS_PER_WINDOW; i += 1) expect((await post(agent, page, action, form)).status).toBe(200);
        const limited = await post(agent, page, action, form);
        expect(limited.status).toBe(429);
        expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(limited.body).toContain('操作过于频繁，请稍后再试。');
        expect(fieldNote(limited.body, action === 'check_login_name' ? 'loginName' : 'documentNumber')?.kind).not.toBe('ok');

        const other = await openForm();
        expect((await post(other.agent, other.page, action, form)).status).toBe(200);
      },
    );

    test('when the limit is reached with one lookup, then the other lookup is limited too (one budget per address)', async () => {
      const { agent, page } = await openForm();
      for (let i = 0; i < CHECKS_PER_WINDOW; i += 1) await post(agent, page, 'check_login_name', { loginName: unique('lim') });
      const document = await post(agent, page, 'check_document', { identityType: 'mainland', documentType: 'resident_id', documentNumber: uniqueResidentId() });
      expect(document.status).toBe(429);
    });
  });

  describe('a completed registration', () => {
    test('when the person is in the reference register, then the account is verified with its mobile, and the result page shows step 3 注册完成 with the login name', async () => {
      const form = validForm();
      await app.context.referenceRegister.upsert([{ name: form.name!, documentType: 'resident_id', documentNumber: form.documentNumber! }]);
      const { agent, submitted } = await register(form);
      expect(submitted.status).toBe(303);
      expect(submitted.location).toMatch(new RegExp(`^${app.url}/register/natural/result/[0-9a-f-]{36}$`));

      const account = (await app.context.accounts.findById((await accountIdOf(form.loginName!))!))!;
      expect(account).toMatchObject({ kind: 'natural', loginName: form.loginName, mobile: form.mobile, mobileVerified: true, realNameStatus: 'verified', status: 'active' });
      expect(account.realNameVerifiedAt).toBeInstanceOf(Date);
      expect(account.natural).toMatchObject({ name: form.name, identityType: 'mainland', documentType: 'resident_id' });
      expect(account.natural!.documentNumberMasked).toBe(`${form.documentNumber!.slice(0, 3)}***********${form.documentNumber!.slice(-4)}`);
      // The password works for sign-in (argon2id stored).
      const credentials = await app.context.accounts.findCredentials(form.loginName!);
      expect(credentials!.passwordHash).toMatch(/^\$argon2id\$/);
      expect(await app.context.hasher.verify(credentials!.passwordHash!, form.password!)).toBe(true);

      const result = await agent.request(submitted.location!);
      expect(result.status).toBe(200);
      expect(currentStep(result.body)).toBe('3 注册完成');
      expect(result.body).toContain(`账号已注册，登录名：${form.loginName}`);
      expect(result.body).toContain('实名认证已通过，注册完成。');
      expect(hrefs(result.body)).toContain('/portal/login?login_type=natural');
      expect(result.body).not.toContain(form.documentNumber!);
    });

    test('when the person is not in the register, then the account stays unverified, and the result page is step 2 with the mismatch advice', async () => {
      const form = validForm();
      const { agent, submitted } = await register(form);
      expect(submitted.status).toBe(303);
      const account = (await app.context.accounts.findById((await accountIdOf(form.loginName!))!))!;
      expect(account).toMatchObject({ realNameStatus: 'unverified', realNameVerifiedAt: null, mobileVerified: true });
      const result = await agent.request(submitted.location!);
      expect(currentStep(result.body)).toBe('2 用户实名认证');
      expect(result.body).toContain(`账号已注册，登录名：${form.loginName}`);
      expect(result.body).toContain('实名认证未通过：您填写的姓名与证件信息不一致。');
      expect(result.body).toContain('上传证件照片申请人工审核');
      expect(result.body).not.toContain('注册完成。');
    });

    test('when the document already verified another account, then the new account is registered unverified and the result page points to the appeal', async () => {
      const person = { name: uniqueName(), documentNumber: uniqueResidentId() };
      await app.context.referenceRegister.upsert([{ name: person.name, documentType: 'resident_id', documentNumber: person.documentNumber }]);
      expect((await register(validForm(person))).submitted.status).toBe(303);

      const second = validForm(person);
      const { agent, submitted } = await register(second);
      expect(submitted.status).toBe(303);
      const account = (await app.context.accounts.findById((await accountIdOf(second.loginName!))!))!;
      expect(account.realNameStatus).toBe('unverified');
      const result = await agent.request(submitted.location!);
      expect(currentStep(result.body)).toBe('2 用户实名认证');
      expect(result.body).toContain('该证件已用于其他账号的实名认证（一个证件只能实名认证一个账号）');
      expect(result.body).toMatch(/<a class="button" href="[^"]+">申诉找回<\/a>/);
    });

    test('when registration started from a sign-in, then the result page 登录 button returns to it', async () => {
      const returnTo = '/interaction/abcDEF_123';
      const query = `?return_to=${encodeURIComponent(returnTo)}`;
      const { agent, submitted } = await register(validForm(), query);
      expect(submitted.status).toBe(303);
      const result = await agent.request(submitted.location!);
      expect(result.body).toMatch(new RegExp(`<a class="button button--primary" href="${returnTo}">登录</a>`));
    });

    test('when the result page is opened by another browser, or with a made-up id, then 404 and nothing about the account', async () => {
      const form = validForm();
      const { submitted } = await register(form);
      const stranger = await new UserAgent().request(submitted.location!);
      expect(stranger.status).toBe(404);
      expect(stranger.body).not.toContain(form.loginName!);
      const other = await openForm();
      const otherBrowser = await other.agent.request(submitted.location!);
      expect(otherBrowser.status).toBe(404);
      expect(otherBrowser.body).not.toContain(form.loginName!);
      expect((await other.agent.request(`${app.url}/register/natural/result/not-a-uuid`)).status).toBe(404);
      expect((await other.agent.request(`${app.url}/register/natural/result/${crypto.randomUUID()}`)).status).toBe(404);
    });

    test('when the form is posted without its CSRF token or with another browser\'s, then 403 and no account, no SMS', async () => {
      const { agent } = await openForm();
      const form = validForm();
      const missing = await agent.request(`${app.url}/register/natural`, { form: { ...form, action: 'register' } });
      expect(missing.status).toBe(403);
      const other = await openForm();
      const foreign = await agent.request(`${app.url}/register/natural`, { form: { ...form, csrf: hiddenInput(other.page, 'csrf')!, action: 'register' } });
      expect(foreign.status).toBe(403);
      const sms = await agent.request(`${app.url}/register/natural`, { form: { ...form, captcha: CAPTCHA_ANSWER, captchaId: hiddenInput(other.page, 'captchaId')!, action: 'send_sms' } });
      expect(sms.status).toBe(403);
      expect(await accountIdOf(form.loginName!)).toBeUndefined();
      expect(await outboxCodes(app, form.mobile!)).toEqual([]);
    });

    test('when an account is registered, then account.created is audited with actor anonymous and the address, and verification too', async () => {
      const form = validForm();
      const { ip, submitted } = await register(form);
      expect(submitted.status).toBe(303);
      const id = (await accountIdOf(form.loginName!))!;
      const created = await app.context.db('audit_events').where({ event: 'account.created', subject_id: id }).first();
      expect(created).toMatchObject({ outcome: 'success', actor_type: 'anonymous', actor_id: null, subject_type: 'account' });
      expect(String(created.ip)).toBe(ip);
      expect(created.details).toMatchObject({ kind: 'natural' });
      const verification = await app.context.db('audit_events').where({ event: 'verification.automatic', subject_id: id }).first();
      expect(verification).toMatchObject({ outcome: 'failure', actor_type: 'anonymous' });
      expect(String(verification.ip)).toBe(ip);
    });

    test('when an account is registered, then no table or log line holds the password, the document number or the mobile in clear, and sms_codes only a hash', async () => {
      const form = validForm({ password: `Only-Here-${unique('pw')}`, documentNumber: uniqueResidentId() });
      form.confirmPassword = form.password!;
      await app.context.referenceRegister.upsert([{ name: form.name!, documentType: 'resident_id', documentNumber: form.documentNumber! }]);
      const { code, submitted } = await register(form);
      expect(submitted.status).toBe(303);
      const id = (await accountIdOf(form.loginName!))!;
      const mobileIndex = app.context.crypt.blindIndex(form.mobile!);

      const codes = await app.context.db('sms_codes').where({ mobile_index: mobileIndex });
      expect(codes).toHaveLength(1);
      expect(codes[0].code_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(codes[0].used_at).not.toBeNull();

      // The development outbox holds the text with the code by design, but nothing else.
      const outbox = await app.context.db('sms_outbox').where({ mobile_index: mobileIndex });
      expect(outbox).toHaveLength(1);
      expect(outbox[0].text).toContain(code);

      const stored = JSON.stringify({
        codes,
        outbox,
        accounts: await app.context.db('accounts').where({ id }),
        profiles: await app.context.db('natural_profiles').where({ account_id: id }),
        flows: await app.context.db('registration_flows').where({ account_id: id }),
        audit: await app.context.db('audit_events').whereIn('subject_id', [id, mobileIndex]),
        claims: await app.context.db('identity_claims').where({ account_id: id }),
      });
      expect(stored).toContain(id);
      expect(stored).not.toContain(form.password!);
      expect(stored).not.toContain(form.documentNumber!);
      expect(stored).not.toContain(form.documentNumber!.slice(6, 14)); // the birth date
      expect(stored).not.toContain(form.mobile!);
      expect(JSON.stringify({ codes, audit: await app.context.db('audit_events').whereIn('subject_id', [id, mobileIndex]) })).not.toContain(code);

      const log = logs.text();
      expect(log).toContain('/register/natural');
      expect(log).toContain('text message stored in the development outbox');
      expect(log).not.toContain(form.password!);
      expect(log).not.toContain(form.documentNumber!);
      expect(log).not.toContain(form.mobile!);
      expect(log).not.toContain(`验证码 ${code}`);
      expect(log).toContain('验证码 ******');
      // No logged value is the code (a bare search would trip over timestamps and request ids).
      const values = (value: unknown): unknown[] => (value && typeof value === 'object' ? Object.values(value).flatMap(values) : [value]);
      const logged = log.trim().split('\n').flatMap((line) => values(JSON.parse(line)));
      expect(logged).not.toContain(code);
      expect(logged).not.toContain(Number(code));
    });
  });
});
