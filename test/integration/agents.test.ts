/**
 * 授权代办 through HTTP (SPEC §5): a verified legal account adds a natural account as its agent on
 * /portal/me/agents (login name + name, all or some business systems, captcha, SMS code to its
 * reserved mobile), lists and revokes it; revocation ends the agent's tokens at once; the agent sees
 * the unit on /portal/me/entities. Every rule and bad input, and what reaches the audit log.
 */
import crypto from 'node:crypto';
import { AGENT_LOOKUPS_PER_ACCOUNT, AGENT_LOOKUPS_PER_ADDRESS } from '../../src/authorization/entity-authorization.service.js';
import { coversSystem } from '../../src/authorization/entity-authorization.repository.js';
import { createLegalAccount, createNaturalAccount, credentials, uniqueIp, type CreatedAccount } from '../support/accounts.js';
import { uniqueName } from '../support/identities.js';
import { TestRelyingParty, tokenError } from '../support/oidc-rp.js';
import { outboxCodes } from '../support/sms-outbox.js';
import { TestClock } from '../support/test-clock.js';
import { answers, FakeGateway } from '../support/fake-sms-gateways.js';
import { startTestApp, unique, type TestApp } from '../support/test-app.js';
import { alertText, hiddenInput, inputValue, UserAgent } from '../support/user-agent.js';

const CAPTCHA_ANSWER = 'agt7';
const AGENTS = '/portal/me/agents';

interface AgentFormInput {
  loginName?: string;
  name?: string;
  scope?: string;
  systems?: string[];
  smsCode?: string;
  captcha?: string;
  action?: string;
}

/** The message under a field (`<p class="field__error" id="{field}-error">`). */
function fieldError(html: string, field: string): string | undefined {
  return new RegExp(`<p class="field__error[^"]*" id="${field}-error">([^<]*)</p>`).exec(html)?.[1];
}

/** Every field that carries an error, with its message. */
function fieldErrors(html: string): Record<string, string> {
  return Object.fromEntries([...html.matchAll(/<p class="field__error[^"]*" id="(\w+)-error">([^<]*)<\/p>/g)].map((m) => [m[1]!, m[2]!]));
}

describe('授权代办: a legal account authorizes natural accounts', () => {
  let app: TestApp;
  const clock = new TestClock();
  const rp = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-ag');
  const other = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-ah');

  beforeAll(async () => {
    await Promise.all([rp.listen(), other.listen()]);
    app = await startTestApp({
      clients: [rp.clientEntry(), other.clientEntry()],
      clock: clock.now,
      env: { TRUST_PROXY: 'true', CAPTCHA_TEST_ANSWER: CAPTCHA_ANSWER, ADDRESS_LOGIN_FAILURES: '100000' },
    });
    await rp.discover(app.url);
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([rp.close(), other.close()]);
  });

  const verifiedEntity = () => createLegalAccount(app, { realNameVerified: true });
  const naturalAgent = (extra: Parameters<typeof createNaturalAccount>[1] = {}) => createNaturalAccount(app, { name: uniqueName(), ...extra });

  /** Signs in at the portal from an address of its own; returns the agent (cookies kept). */
  async function signIn(user: CreatedAccount, ip = uniqueIp()): Promise<UserAgent> {
    const agent = new UserAgent({ 'x-forwarded-for': ip });
    const login = await agent.follow(`${app.url}/portal/login?login_type=${user.window}`);
    const done = await agent.submit(`${login.url.split('?')[0]}/login`, { csrf: hiddenInput(login.body, 'csrf')!, ...credentials(user) });
    expect(done.url).toBe(`${app.url}/portal/me`);
    return agent;
  }

  /** Posts the agents form as a browser would (ticked boxes repeat `systems`), with the page's CSRF token and captcha id. */
  async function post(agent: UserAgent, input: AgentFormInput, options: { csrf?: boolean } = {}) {
    const page = await agent.request(`${app.url}${AGENTS}`);
    // Accounts that get no form here (unverified units, natural accounts) take the token from My Information.
    const csrf = hiddenInput(page.body, 'csrf') ?? hiddenInput((await agent.request(`${app.url}/portal/me`)).body, 'csrf')!;
    const { systems = [], ...fields } = input;
    const form: Array<[string, string]> = [
      ...(options.csrf === false ? [] : [['csrf', csrf] as [string, string]]),
      ['captchaId', hiddenInput(page.body, 'captchaId') ?? ''],
      ...Object.entries(fields).map(([name, value]) => [name, value] as [string, string]),
      ...systems.map((system) => ['systems', system] as [string, string]),
    ];
    return agent.request(`${app.url}${AGENTS}`, { form });
  }

  /** 获取验证码 with the captcha answered; returns the code the outbox "sent" to the unit's mobile. */
  async function sendCode(agent: UserAgent, entity: CreatedAccount, input: AgentFormInput) {
    const sent = await post(agent, { ...input, action: 'send_code', captcha: CAPTCHA_ANSWER });
    expect(sent.status).toBe(200);
    const [code] = await outboxCodes(app, entity.account.mobile);
    expect(code).toMatch(/^\d{6}$/);
    return { code: code!, page: sent.body };
  }

  /** The whole form: code, then 确认授权. */
  async function authorize(agent: UserAgent, entity: CreatedAccount, input: AgentFormInput) {
    const { code } = await sendCode(agent, entity, input);
    return post(agent, { ...input, action: 'grant', smsCode: code });
  }

  const formFor = (person: CreatedAccount, extra: AgentFormInput = {}): AgentFormInput => ({
    loginName: person.loginName,
    name: person.account.natural!.name,
    scope: 'all',
    ...extra,
  });

  const activeRows = (entity: CreatedAccount) => app.context.db('entity_authorizations').where({ legal_account_id: entity.account.id, status: 'active' });

  describe('who may authorize', () => {
    test('when an unverified legal account opens the page, then it says why it cannot authorize yet and links to verification, with no form', async () => {
      const entity = await createLegalAccount(app);
      const agent = await signIn(entity);
      const page = await agent.request(`${app.url}${AGENTS}`);
      expect(page.status).toBe(200);
      expect(page.body).toContain('本单位尚未完成实名认证，暂不能授权代办人');
      expect(page.body).toContain('当前状态：未实名认证');
      expect(page.body).toMatch(/<a class="button button--primary" href="\/portal\/me">前往“我的信息”完成实名认证<\/a>/);
      expect(page.body).not.toContain('id="loginName"');
    });

    test('when an unverified legal account posts the form anyway, then 403, no code is sent and nothing is stored', async () => {
      const entity = await createLegalAccount(app);
      const person = await naturalAgent();
      const agent = await signIn(entity);
      const sent = await post(agent, { ...formFor(person), action: 'send_code', captcha: CAPTCHA_ANSWER });
      expect(sent.status).toBe(403);
      expect(sent.body).toContain('本单位尚未完成实名认证，暂不能授权代办人');
      const granted = await post(agent, { ...formFor(person), action: 'grant', smsCode: '123456' });
      expect(granted.status).toBe(403);
      expect(await outboxCodes(app, entity.account.mobile)).toEqual([]);
      expect(await activeRows(entity)).toHaveLength(0);
    });

    test('when a natural account opens the agents page, then it is sent to 我代办的单位; posting there is refused with 403', async () => {
      const person = await naturalAgent();
      const agent = await signIn(person);
      const page = await agent.request(`${app.url}${AGENTS}`);
      expect(page.status).toBe(302);
      expect(page.location).toBe(`${app.url}/portal/me/entities`);
      const posted = await post(agent, formFor(person));
      expect(posted.status).toBe(403);
      expect(posted.body).toContain('只有法人账号可以授权代办人');
    });

    test('when a visitor is not signed in, then the agents page sends them to sign in first', async () => {
      const page = await new UserAgent().request(`${app.url}${AGENTS}`);
      expect(page.status).toBe(302);
      expect(page.location).toBe(`${app.url}/portal/login?return_to=%2Fportal%2Fme%2Fagents`);
    });

    test('when My Information is opened, then a legal account finds 授权代办人 and a natural account 我代办的单位', async () => {
      const legal = await signIn(await verifiedEntity());
      expect((await legal.request(`${app.url}/portal/me`)).body).toContain('<a href="/portal/me/agents">授权代办人</a>');
      const natural = await signIn(await naturalAgent());
      expect((await natural.request(`${app.url}/portal/me`)).body).toContain('<a href="/portal/me/entities">我代办的单位</a>');
    });
  });

  describe('adding an agent', () => {
    test('when a verified unit adds an unverified natural account for all systems with the SMS code, then it is stored, listed as waiting for verification, and audited', async () => {
      const entity = await verifiedEntity();
      const person = await naturalAgent();
      const agent = await signIn(entity);
      const page = await agent.request(`${app.url}${AGENTS}`);
      expect(page.body).toContain(`测试系统 ${rp.clientId}`);
      expect(page.body).toContain(`测试系统 ${other.clientId}`);
      expect(page.body).not.toContain('value="portal"');

      const { page: afterCode } = await sendCode(agent, entity, formFor(person));
      const masked = `${entity.account.mobile.slice(0, 3)}****${entity.account.mobile.slice(-4)}`;
      expect(afterCode).toContain(`验证码已发送至本单位的预留手机号 ${masked}`);
      expect(inputValue(afterCode, 'loginName')).toBe(person.loginName);
      const [message] = await app.context.smsOutbox.recent({ mobile: entity.account.mobile, limit: 1 });
      expect(message!.text).toContain('您正在授权代办人');
      expect(message!.template).toBe('code_authorize');

      const code = (await outboxCodes(app, entity.account.mobile))[0]!;
      const granted = await post(agent, { ...formFor(person), action: 'grant', smsCode: code });
      expect(granted.status).toBe(303);
      expect(granted.location).toBe(`${app.url}${AGENTS}?saved=granted`);

      const rows = await activeRows(entity);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ agent_account_id: person.account.id, systems: null, origin: 'portal', granted_by: entity.account.id });

      const list = await agent.request(granted.location!);
      expect(list.body).toContain('授权已保存');
      expect(list.body).toContain(`<strong class="mono">${person.loginName}</strong>`);
      const name = person.account.natural!.name;
      expect(list.body).toContain(`${name[0]}${'*'.repeat([...name].length - 1)}`);
      expect(list.body).not.toContain(name);
      expect(list.body).toContain('全部业务系统');
      expect(list.body).toContain('待代办人实名认证后生效');
      expect(list.body).toContain(new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date()));

      const [event] = await app.context.audit.recent({ event: 'authorization.granted', subjectId: person.account.id });
      expect(event).toMatchObject({
        outcome: 'success',
        actorType: 'account',
        actorId: entity.account.id,
        subjectType: 'account',
        subjectId: person.account.id,
        details: { entity: entity.account.id, systems: 'all', authorization: rows[0].id },
      });
      // Not in effect until the agent is verified: the sign-in side sees nothing yet.
      expect(await app.context.authorizations.effectiveFor(person.account.id)).toEqual([]);
    });

    test('when the agent is real-name verified, then the authorization is listed 生效中 and in effect for the chosen systems only', async () => {
      const entity = await verifiedEntity();
      const person = await naturalAgent({ realNameVerified: true });
      const agent = await signIn(entity);
      const granted = await authorize(agent, entity, formFor(person, { scope: 'some', systems: [rp.clientId] }));
      expect(granted.status).toBe(303);
      const list = await agent.request(`${app.url}${AGENTS}`);
      expect(list.body).toContain('生效中');
      expect(list.body).toContain(`测试系统 ${rp.clientId}</dd>`);

      const [effective] = await app.context.authorizations.effectiveFor(person.account.id);
      expect(effective).toMatchObject({ legalAccountId: entity.account.id, orgName: entity.account.legal!.orgName, systems: [rp.clientId] });
      expect(coversSystem(effective!, rp.clientId)).toBe(true);
      expect(coversSystem(effective!, other.clientId)).toBe(false);
    });

    test('when 全部业务系统 is chosen, then the authorization also covers a system configured later', async () => {
      const entity = await verifiedEntity();
      const person = await naturalAgent({ realNameVerified: true });
      const agent = await signIn(entity);
      expect((await authorize(agent, entity, formFor(person, { scope: 'all' }))).status).toBe(303);
      const [effective] = await app.context.authorizations.effectiveFor(person.account.id);
      expect(effective!.systems).toBe('all');
      expect(coversSystem(effective!, 'a-system-added-next-year')).toBe(true);
    });

    test('when the name is typed with other spacing, width or case, then it still matches the account', async () => {
      const entity = await verifiedEntity();
      const person = await naturalAgent({ name: 'Li Lei' });
      const agent = await signIn(entity);
      const granted = await authorize(agent, entity, formFor(person, { loginName: ` ${person.loginName.toUpperCase()} `, name: ' ＬＩ  lei ' }));
      expect(granted.status).toBe(303);
      expect(await activeRows(entity)).toHaveLength(1);
    });

    test('when the same person is authorized again, then the one authorization gets the new systems; fewer systems end the agent’s refresh tokens', async () => {
      const entity = await verifiedEntity();
      const person = await naturalAgent({ realNameVerified: true });
      const tokens = await rp.signIn(new UserAgent({ 'x-forwarded-for': uniqueIp() }), credentials(person), { scope: 'openid offline_access', prompt: 'consent' });
      const agent = await signIn(entity);
      expect((await authorize(agent, entity, formFor(person, { scope: 'all' }))).status).toBe(303);
      // A new code may be sent only after 60 seconds.
      clock.advance(61);
      expect((await authorize(agent, entity, formFor(person, { scope: 'some', systems: [other.clientId] }))).status).toBe(303);

      const rows = await activeRows(entity);
      expect(rows).toHaveLength(1);
      expect(rows[0].systems).toEqual([other.clientId]);
      const events = await app.context.audit.recent({ event: 'authorization.granted', subjectId: person.account.id });
      expect(events[0]!.details).toMatchObject({ systems: [other.clientId], previousSystems: 'all' });
      expect(await tokenError(rp.refresh(tokens.refresh_token!))).toBe('invalid_grant');
    });
  });

  describe('bad input', () => {
    test('when the login name is unknown or the name is wrong, then the answer is the same: same status, same message, no code sent', async () => {
      const entity = await verifiedEntity();
      const person = await naturalAgent();
      const legal = await createLegalAccount(app);
      const agent = await signIn(entity);
      const unknown = await post(agent, { ...formFor(person, { loginName: unique('nobody') }), action: 'send_code', captcha: CAPTCHA_ANSWER });
      const wrongName = await post(agent, { ...formFor(person, { name: uniqueName() }), action: 'send_code', captcha: CAPTCHA_ANSWER });
      const legalName = await post(agent, { ...formFor(person, { loginName: legal.loginName, name: legal.account.legal!.orgName }), action: 'send_code', captcha: CAPTCHA_ANSWER });
      for (const answer of [unknown, wrongName, legalName]) {
        expect(answer.status).toBe(400);
        expect(fieldErrors(answer.body)).toEqual({ agent: '没有与该登录名和姓名都一致的自然人账号，请核对后重新输入' });
        expect(alertText(answer.body)).toBe('请检查填写的内容');
      }
      const withoutField = (html: string) => html.replace(/value="[^"]*"/g, '').replace(/src="data:[^"]*"/g, '');
      expect(withoutField(unknown.body)).toBe(withoutField(wrongName.body));
      expect(await outboxCodes(app, entity.account.mobile)).toEqual([]);

      // The same at 确认授权, before the code is looked at.
      const granted = await post(agent, { ...formFor(person, { name: uniqueName() }), action: 'grant', smsCode: '123456' });
      expect(granted.status).toBe(400);
      expect(fieldErrors(granted.body)).toEqual({ agent: '没有与该登录名和姓名都一致的自然人账号，请核对后重新输入' });
    });

    test('when a legal account names itself, then it is told it cannot authorize its own account', async () => {
      const entity = await verifiedEntity();
      const agent = await signIn(entity);
      const response = await post(agent, { loginName: entity.loginName.toUpperCase(), name: entity.account.legal!.orgName, scope: 'all', action: 'send_code', captcha: CAPTCHA_ANSWER });
      expect(response.status).toBe(400);
      expect(fieldError(response.body, 'loginName')).toBe('不能授权本单位自己的账号');
      expect(await outboxCodes(app, entity.account.mobile)).toEqual([]);
    });

    test('when the agent’s account is disabled, then it cannot be authorized', async () => {
      const entity = await verifiedEntity();
      const person = await naturalAgent({ realNameVerified: true });
      await app.context.db('accounts').where({ id: person.account.id }).update({ status: 'disabled' });
      const agent = await signIn(entity);
      const response = await post(agent, { ...formFor(person), action: 'send_code', captcha: CAPTCHA_ANSWER });
      expect(response.status).toBe(400);
      expect(fieldError(response.body, 'agent')).toBe('该自然人账号已停用，不能被授权代办');
      expect(await outboxCodes(app, entity.account.mobile)).toEqual([]);
    });

    test('when fields are empty, then each says what is missing, and what was typed stays', async () => {
      const entity = await verifiedEntity();
      const agent = await signIn(entity);
      const response = await post(agent, { loginName: '', name: '', action: 'grant', smsCode: '12' });
      expect(response.status).toBe(400);
      expect(fieldErrors(response.body)).toEqual({
        loginName: '请输入代办人的登录名',
        name: '请输入代办人的姓名',
        systems: '请选择“全部业务系统”，或勾选至少一个业务系统',
        smsCode: '请输入 6 位数字短信验证码',
      });
      expect(response.body).toMatch(/id="loginName"[^>]*aria-invalid="true" aria-describedby="loginName-error"/);
      expect(inputValue(response.body, 'smsCode')).toBe('12');
    });

    test('when 部分业务系统 is chosen without ticking one, or ticks an unknown system, then the systems field says so and nothing is sent', async () => {
      const entity = await verifiedEntity();
      const person = await naturalAgent();
      const agent = await signIn(entity);
      const none = await post(agent, { ...formFor(person, { scope: 'some', systems: [] }), action: 'send_code', captcha: CAPTCHA_ANSWER });
      expect(none.status).toBe(400);
      expect(fieldError(none.body, 'systems')).toBe('请选择“全部业务系统”，或勾选至少一个业务系统');
      const unknownSystem = await post(agent, { ...formFor(person, { scope: 'some', systems: [rp.clientId, 'no-such-system'] }), action: 'send_code', captcha: CAPTCHA_ANSWER });
      expect(unknownSystem.status).toBe(400);
      expect(fieldError(unknownSystem.body, 'systems')).toBe('所选的业务系统不存在，请重新勾选');
      expect(unknownSystem.body).toMatch(new RegExp(`value="${rp.clientId}" checked`));
      const portal = await post(agent, { ...formFor(person, { scope: 'some', systems: ['portal'] }), action: 'grant', smsCode: '123456' });
      expect(fieldError(portal.body, 'systems')).toBe('所选的业务系统不存在，请重新勾选');
      expect(await outboxCodes(app, entity.account.mobile)).toEqual([]);
    });

    test('when the captcha is missing or wrong, then no code is sent', async () => {
      const entity = await verifiedEntity();
      const person = await naturalAgent();
      const agent = await signIn(entity);
      const missing = await post(agent, { ...formFor(person), action: 'send_code', captcha: '' });
      expect(missing.status).toBe(400);
      expect(fieldError(missing.body, 'captcha')).toBe('请输入图形验证码');
      const wrong = await post(agent, { ...formFor(person), action: 'send_code', captcha: 'nope' });
      expect(wrong.status).toBe(400);
      expect(fieldError(wrong.body, 'captcha')).toBeDefined();
      expect(await outboxCodes(app, entity.account.mobile)).toEqual([]);
    });

    test('when the SMS code is wrong, missing or expired, then nothing is authorized; a right code then works once', async () => {
      const entity = await verifiedEntity();
      const person = await naturalAgent();
      const agent = await signIn(entity);
      const missing = await post(agent, { ...formFor(person), action: 'grant', smsCode: '' });
      expect(missing.status).toBe(400);
      expect(fieldError(missing.body, 'smsCode')).toBe('请输入 6 位数字短信验证码');
      const never = await post(agent, { ...formFor(person), action: 'grant', smsCode: '123456' });
      expect(fieldError(never.body, 'smsCode')).toBe('请先获取短信验证码（每个验证码只能使用一次）');

      const { code } = await sendCode(agent, entity, formFor(person));
      const wrongCode = code === '000000' ? '000001' : '000000';
      const wrong = await post(agent, { ...formFor(person), action: 'grant', smsCode: wrongCode });
      expect(wrong.status).toBe(400);
      expect(fieldError(wrong.body, 'smsCode')).toBe('短信验证码错误，还可尝试 4 次');
      expect(inputValue(wrong.body, 'loginName')).toBe(person.loginName);

      clock.advance(301);
      const expired = await post(agent, { ...formFor(person), action: 'grant', smsCode: code });
      expect(expired.status).toBe(400);
      expect(fieldError(expired.body, 'smsCode')).toBe('短信验证码已过期，请重新获取');
      expect(await activeRows(entity)).toHaveLength(0);
      expect(await app.context.audit.recent({ event: 'authorization.granted', subjectId: person.account.id })).toEqual([]);

      const { code: fresh } = await sendCode(agent, entity, formFor(person));
      expect((await post(agent, { ...formFor(person), action: 'grant', smsCode: fresh })).status).toBe(303);
      const again = await post(agent, { ...formFor(person), action: 'grant', smsCode: fresh });
      expect(fieldError(again.body, 'smsCode')).toBe('请先获取短信验证码（每个验证码只能使用一次）');
    });

    test('when a code was sent for another purpose to the unit’s mobile, then it does not confirm an authorization', async () => {
      const entity = await verifiedEntity();
      const person = await naturalAgent();
      await app.context.smsCodes.requestCode({ mobile: entity.account.mobile, purpose: 'change_mobile', ip: uniqueIp() });
      const [code] = await outboxCodes(app, entity.account.mobile);
      const agent = await signIn(entity);
      const response = await post(agent, { ...formFor(person), action: 'grant', smsCode: code! });
      expect(fieldError(response.body, 'smsCode')).toBe('请先获取短信验证码（每个验证码只能使用一次）');
      expect(await activeRows(entity)).toHaveLength(0);
    });

    test('when the CSRF token is missing, then the form and the revocation are refused with 403 and nothing changes', async () => {
      const entity = await verifiedEntity();
      const person = await naturalAgent();
      const agent = await signIn(entity);
      const response = await post(agent, { ...formFor(person), action: 'send_code', captcha: CAPTCHA_ANSWER }, { csrf: false });
      expect(response.status).toBe(403);
      expect(await outboxCodes(app, entity.account.mobile)).toEqual([]);

      expect((await authorize(agent, entity, formFor(person))).status).toBe(303);
      const [row] = await activeRows(entity);
      const revoke = await agent.request(`${app.url}${AGENTS}/${row.id}/revoke`, { form: {} });
      expect(revoke.status).toBe(403);
      expect(await activeRows(entity)).toHaveLength(1);
    });
  });

  describe('lookups are limited', () => {
    test(`when a unit looks up agents more than ${AGENT_LOOKUPS_PER_ACCOUNT} times in the window, then it is told to wait (429), even from a new address`, async () => {
      const entity = await verifiedEntity();
      const agent = await signIn(entity);
      for (let i = 0; i < AGENT_LOOKUPS_PER_ACCOUNT; i += 1) {
        const response = await post(agent, { loginName: unique('guess'), name: uniqueName(), scope: 'all', action: 'grant', smsCode: '123456' });
        expect(response.status).toBe(400);
      }
      const limited = await post(agent, { loginName: unique('guess'), name: uniqueName(), scope: 'all', action: 'grant', smsCode: '123456' });
      expect(limited.status).toBe(429);
      expect(fieldError(limited.body, 'agent')).toMatch(/^查询代办人过于频繁，请于 \d+ 分钟后再试$/);
      const elsewhere = await signIn(entity);
      expect((await post(elsewhere, { loginName: unique('guess'), name: uniqueName(), scope: 'all', action: 'grant', smsCode: '123456' })).status).toBe(429);
    });

    test(`when one address looks up agents for several units more than ${AGENT_LOOKUPS_PER_ADDRESS} times, then it is told to wait (429)`, async () => {
      const ip = uniqueIp();
      let last = 0;
      for (let i = 0; i <= AGENT_LOOKUPS_PER_ADDRESS; i += 1) {
        const agent = await signIn(await verifiedEntity(), ip);
        last = (await post(agent, { loginName: unique('guess'), name: uniqueName(), scope: 'all', action: 'grant', smsCode: '123456' })).status;
        if (i < AGENT_LOOKUPS_PER_ADDRESS) expect(last).toBe(400);
      }
      expect(last).toBe(429);
    });
  });

  describe('revoking', () => {
    test('when a unit revokes an agent after the confirmation naming it, then the agent’s refresh token fails at once, the list is empty, and it is audited', async () => {
      const entity = await verifiedEntity();
      const person = await naturalAgent({ realNameVerified: true });
      const tokens = await rp.signIn(new UserAgent({ 'x-forwarded-for': uniqueIp() }), credentials(person), { scope: 'openid offline_access', prompt: 'consent' });
      const refreshed = await rp.refresh(tokens.refresh_token!);

      const agent = await signIn(entity);
      expect((await authorize(agent, entity, formFor(person, { scope: 'some', systems: [rp.clientId] }))).status).toBe(303);
      const [row] = await activeRows(entity);
      const list = await agent.request(`${app.url}${AGENTS}`);
      expect(list.body).toContain(`href="/portal/me/agents/${row.id}/revoke" aria-label="撤销 ${person.loginName} 的授权"`);

      const confirm = await agent.request(`${app.url}${AGENTS}/${row.id}/revoke`);
      expect(confirm.status).toBe(200);
      expect(confirm.body).toContain(`（${person.loginName}）的授权吗？`);
      const revoked = await agent.request(`${app.url}${AGENTS}/${row.id}/revoke`, { form: { csrf: hiddenInput(confirm.body, 'csrf')! } });
      expect(revoked.status).toBe(303);
      expect(revoked.location).toBe(`${app.url}${AGENTS}?saved=revoked`);

      expect(await tokenError(rp.refresh(refreshed.refresh_token!))).toBe('invalid_grant');
      expect(await activeRows(entity)).toHaveLength(0);
      expect(await app.context.authorizations.effectiveFor(person.account.id)).toEqual([]);
      const after = await agent.request(revoked.location!);
      expect(after.body).toContain('授权已撤销');
      expect(after.body).toContain('尚未授权任何代办人。');
      const [event] = await app.context.audit.recent({ event: 'authorization.revoked', subjectId: person.account.id });
      expect(event).toMatchObject({
        outcome: 'success',
        actorId: entity.account.id,
        subjectId: person.account.id,
        details: { entity: entity.account.id, systems: [rp.clientId], authorization: row.id },
      });
    });

    test('when a unit tries to revoke another unit’s authorization, or one that does not exist, then 404 and it stays active', async () => {
      const owner = await verifiedEntity();
      const person = await naturalAgent();
      const ownerAgent = await signIn(owner);
      expect((await authorize(ownerAgent, owner, formFor(person))).status).toBe(303);
      const [row] = await activeRows(owner);

      const intruder = await signIn(await verifiedEntity());
      expect((await intruder.request(`${app.url}${AGENTS}/${row.id}/revoke`)).status).toBe(404);
      const page = await intruder.request(`${app.url}${AGENTS}`);
      const csrf = hiddenInput(page.body, 'csrf')!;
      expect((await intruder.request(`${app.url}${AGENTS}/${row.id}/revoke`, { form: { csrf } })).status).toBe(404);
      expect((await intruder.request(`${app.url}${AGENTS}/${crypto.randomUUID()}/revoke`, { form: { csrf } })).status).toBe(404);
      expect((await intruder.request(`${app.url}${AGENTS}/not-an-id/revoke`, { form: { csrf } })).status).toBe(404);
      expect(await activeRows(owner)).toHaveLength(1);
      expect(await app.context.audit.recent({ event: 'authorization.revoked', subjectId: person.account.id })).toEqual([]);
    });
  });

  describe('我代办的单位', () => {
    test('when a natural account has been authorized, then it sees the unit, the systems and whether the authorization is in effect', async () => {
      const entity = await verifiedEntity();
      const person = await naturalAgent();
      const entityAgent = await signIn(entity);
      expect((await authorize(entityAgent, entity, formFor(person, { scope: 'some', systems: [rp.clientId, other.clientId] }))).status).toBe(303);

      const agent = await signIn(person);
      const waiting = await agent.request(`${app.url}/portal/me/entities`);
      expect(waiting.status).toBe(200);
      expect(waiting.body).toContain(`<strong>${entity.account.legal!.orgName}</strong>`);
      expect(waiting.body).toContain(`测试系统 ${rp.clientId}、测试系统 ${other.clientId}`);
      expect(waiting.body).toContain('待您完成实名认证后生效');
      expect(waiting.body).toContain('您尚未完成实名认证，以下授权暂未生效。');

      await app.context.accounts.setRealNameStatus(person.account.id, 'verified');
      const effective = await agent.request(`${app.url}/portal/me/entities`);
      expect(effective.body).toContain('生效中');
      expect(effective.body).not.toContain('待您完成实名认证后生效');
    });

    test('when nobody has authorized the account, then the page says so; a legal account is sent to its agents page', async () => {
      const agent = await signIn(await naturalAgent());
      expect((await agent.request(`${app.url}/portal/me/entities`)).body).toContain('目前没有单位授权您代办。');
      const legal = await signIn(await verifiedEntity());
      const redirected = await legal.request(`${app.url}/portal/me/entities`);
      expect(redirected.status).toBe(302);
      expect(redirected.location).toBe(`${app.url}${AGENTS}`);
    });

    test('when the pages are asked for in English, then they are in English', async () => {
      const agent = await signIn(await verifiedEntity());
      const page = await agent.request(`${app.url}${AGENTS}?lang=en`);
      expect(page.body).toContain('Add an agent');
      expect(page.body).toContain('All business systems (including systems added later)');
      expect(page.body).toContain(`Test system ${rp.clientId}`);
    });
  });
});

describe('授权代办 when the SMS gateway is down', () => {
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

  test('when the code cannot be sent, then 503 on the form itself, with what was typed kept and "try later" under the code', async () => {
    const entity = await createLegalAccount(app, { realNameVerified: true });
    const person = await createNaturalAccount(app, { name: uniqueName() });
    const agent = new UserAgent({ 'x-forwarded-for': uniqueIp() });
    const login = await agent.follow(`${app.url}/portal/login?login_type=legal`);
    await agent.submit(`${login.url.split('?')[0]}/login`, { csrf: hiddenInput(login.body, 'csrf')!, ...credentials(entity) });
    const page = await agent.request(`${app.url}${AGENTS}`);
    const response = await agent.request(`${app.url}${AGENTS}`, {
      form: {
        csrf: hiddenInput(page.body, 'csrf')!,
        captchaId: hiddenInput(page.body, 'captchaId')!,
        captcha: CAPTCHA_ANSWER,
        loginName: person.loginName,
        name: person.account.natural!.name,
        scope: 'all',
        action: 'send_code',
      },
    });
    expect(response.status).toBe(503);
    expect(fieldError(response.body, 'smsCode')).toBe('短信发送服务暂时不可用，请稍后再试');
    expect(inputValue(response.body, 'loginName')).toBe(person.loginName);
    expect(response.body).toMatch(/value="all" checked/);
    expect(gateway.requests).toHaveLength(1);
  });
});
