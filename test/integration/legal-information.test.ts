/**
 * 修改法人信息 on My Information (SPEC §1, §4): the unit's form for legal accounts, its field
 * rules, masked numbers, what verification freezes, automatic verification on save and 立即认证
 * (against a local fake enterprise registry through the real HTTP adapter), and the main agent's
 * mobile kept equal to the reserved mobile.
 */
import type { NewAccount } from '../../src/accounts/account.service.js';
import { createNaturalAccount, credentials, uniqueIp, uniqueUscc, type CreatedAccount } from '../support/accounts.js';
import { json } from '../support/fake-check-server.js';
import { FakeEnterpriseRegistry } from '../support/fake-enterprise-registry.js';
import { uniqueName, uniqueResidentId } from '../support/identities.js';
import { createUnit as createUnitIn, openLegalCase, type CreatedUnit } from '../support/legal-review.js';
import { createOperator } from '../support/review.js';
import { outboxCode } from '../support/sms-outbox.js';
import { startTestApp, uniqueMobile, type TestApp } from '../support/test-app.js';
import { hiddenInput, UserAgent } from '../support/user-agent.js';

const CAPTCHA = 'leg1';

describe('修改法人信息 on My Information', () => {
  const registry = new FakeEnterpriseRegistry();
  let app: TestApp;

  beforeAll(async () => {
    await registry.listen();
    app = await startTestApp({
      env: {
        ADDRESS_LOGIN_FAILURES: '100000',
        TRUST_PROXY: 'true',
        CAPTCHA_TEST_ANSWER: CAPTCHA,
        ENTERPRISE_REGISTRY: 'http',
        ENTERPRISE_REGISTRY_URL: registry.url,
        ENTERPRISE_REGISTRY_TOKEN: registry.token,
        ENTERPRISE_REGISTRY_TIMEOUT_MS: '1000',
      },
    });
  });
  afterAll(async () => {
    await app?.close();
    await registry.close();
  });

  const createUnit = (extra: Partial<NewAccount> = {}) => createUnitIn(app, extra);

  async function signedIn(user: CreatedAccount) {
    const agent = new UserAgent({ 'x-forwarded-for': uniqueIp() });
    const login = await agent.follow(`${app.url}/portal/login?login_type=legal`);
    const me = await agent.submit(`${login.url.split('?')[0]}/login`, { csrf: hiddenInput(login.body, 'csrf')!, ...credentials(user) });
    expect(me.url).toBe(`${app.url}/portal/me`);
    return { agent, page: me.body };
  }

  async function post(agent: UserAgent, path: string, form: Record<string, string>) {
    const page = await agent.request(`${app.url}/portal/me`);
    return agent.request(`${app.url}${path}`, { form: { csrf: hiddenInput(page.body, 'csrf')!, ...form } });
  }

  /** Every field of the form as the unit has it, valid, the numbers left untouched (empty) unless overridden. */
  function form(unit: CreatedUnit, overrides: Record<string, string> = {}): Record<string, string> {
    const legal = unit.account.legal!;
    return {
      orgName: legal.orgName, registrationRegion: legal.registrationRegion, orgType: legal.orgType, uscc: legal.uscc ?? '', registrationNumber: legal.registrationNumber ?? '', email: '',
      repName: unit.rep.name, repMobile: '', repIdentityType: 'mainland', repDocumentType: 'resident_id', repDocumentNumber: '', repDocumentValidUntil: '', repDocumentLongTerm: 'on',
      agentName: unit.agent.name, agentIdentityType: 'mainland', agentDocumentType: 'resident_id', agentDocumentNumber: '', agentDocumentValidUntil: '', agentDocumentLongTerm: 'on',
      ...overrides,
    };
  }

  const accountOf = async (id: string) => (await app.context.accounts.findById(id))!;
  const blocksOf = (id: string) => app.context.accounts.legalPersonBlocks(id);

  test('when a legal account opens My Information, then 修改法人信息 shows the unit with numbers masked, the main agent\'s mobile read-only, and no natural-person form', async () => {
    const unit = await createUnit();
    const { page } = await signedIn(unit);
    expect(page).toContain('修改法人信息');
    expect(page).toContain(`value="${unit.account.legal!.orgName}"`);
    expect(page).toContain(`value="${unit.account.legal!.uscc}"`);
    expect(page).toContain(`value="${unit.rep.name}"`);
    expect(page).toContain(`placeholder="${unit.rep.documentNumber.slice(0, 3)}***********${unit.rep.documentNumber.slice(-4)}"`);
    expect(page).toContain(`placeholder="${unit.rep.mobile.slice(0, 3)}****${unit.rep.mobile.slice(-4)}"`);
    expect(page).not.toContain(unit.rep.documentNumber);
    expect(page).not.toContain(unit.agent.documentNumber);
    expect(page).not.toContain(unit.rep.mobile);
    expect(page).not.toContain('name="agentMobile"');
    expect(page).toContain('主代办人手机号码即本账号的预留手机号');
    expect(page).not.toContain('id="profile-title"');
    expect(page).not.toContain('上传自然人信息');
    expect(page).toContain('未实名认证');
    // The unit has not verified yet: 立即认证, and the manual-review upload.
    expect(page).toContain('action="/portal/me/legal/verify"');
    expect(page).toContain('上传法人信息（人工认证）');
  });

  test('when the page is asked for in English, then the unit form and the upload are in English', async () => {
    const unit = await createUnit();
    const { agent } = await signedIn(unit);
    const page = await agent.request(`${app.url}/portal/me?lang=en`);
    expect(page.body).toContain('<html lang="en">');
    for (const text of ['Edit unit information', 'Unit name', 'Unified social credit code', 'Legal representative', 'Authorization (main agent)', 'Upload unit documents (manual verification)', 'Business licence (or registration certificate)']) {
      expect([text, page.body.includes(text)]).toEqual([text, true]);
    }
  });

  test('when a unit saves a name, USCC and representative the registry knows, then it is verified at once, the outcome is shown, and the identity locks', async () => {
    const unit = await createUnit();
    const uscc = uniqueUscc();
    const orgName = `${uniqueName()}技术研究院`;
    const repName = uniqueName();
    registry.addUnit(uscc, orgName, repName);
    const { agent } = await signedIn(unit);
    const saved = await post(agent, '/portal/me/legal', form(unit, { orgName, uscc: uscc.toLowerCase(), repName, orgType: 'public_institution', email: 'office@example.cn' }));
    expect(saved.status).toBe(302);
    expect(saved.location).toBe(`${app.url}/portal/me?legal_saved=profile&legal_outcome=verified`);
    expect(registry.requestsFor(uscc).map((r) => r.body)).toEqual([{ uscc, org_name: orgName, legal_representative: repName }]);

    const account = await accountOf(unit.account.id);
    expect(account).toMatchObject({ realNameStatus: 'verified', email: 'office@example.cn' });
    expect(account.legal).toMatchObject({ orgName, uscc, orgType: 'public_institution', registrationRegion: 'domestic' });
    // Untouched numbers kept their stored values.
    const blocks = await blocksOf(unit.account.id);
    expect(blocks.legalRepresentative).toMatchObject({ name: repName, documentNumber: unit.rep.documentNumber, mobile: unit.rep.mobile });
    expect(blocks.mainAgent).toMatchObject({ documentNumber: unit.agent.documentNumber, mobile: unit.account.mobile });

    const page = await agent.request(saved.location!);
    expect(page.body).toContain('法人信息已保存。');
    expect(page.body).toContain('法人实名认证成功。');
    expect(page.body).toContain('已实名认证');
    expect(page.body).toContain('单位信息与法定代表人身份信息不能修改');
    expect(page.body).not.toContain('id="orgName"');
    expect(page.body).not.toContain('id="repDocumentNumber"');
    expect(page.body).not.toContain('action="/portal/me/legal/verify"');
    expect(page.body).not.toContain('上传法人信息（人工认证）');
    const audit = await app.context.db('audit_events').where({ event: 'profile.updated', subject_id: unit.account.id }).first();
    expect(audit.details).toEqual({ kind: 'legal', identityChanged: true });
  });

  test('when the registry does not know the unit, then the save says mismatch, the status stays, and the upload is offered', async () => {
    const unit = await createUnit();
    const { agent } = await signedIn(unit);
    const saved = await post(agent, '/portal/me/legal', form(unit, { orgName: `${uniqueName()}有限公司`, uscc: uniqueUscc(), repName: uniqueName() }));
    expect(saved.location).toBe(`${app.url}/portal/me?legal_saved=profile&legal_outcome=mismatch`);
    const page = await agent.request(saved.location!);
    expect(page.body).toContain('实名认证未通过：单位名称、统一社会信用代码与法定代表人姓名不一致');
    expect(page.body).toContain('未实名认证');
    expect(page.body).toContain('action="/portal/me/legal/upload"');
  });

  test('when only what the registry does not judge changes (e-mail, validity, the main agent), then it is saved without asking the registry', async () => {
    const unit = await createUnit();
    const { agent } = await signedIn(unit);
    const before = registry.requests.length;
    const agentDocument = uniqueResidentId();
    const saved = await post(agent, '/portal/me/legal', form(unit, {
      email: 'a@example.cn', repDocumentLongTerm: '', repDocumentValidUntil: '2040-01-31',
      agentName: '赵敏', agentDocumentNumber: agentDocument,
    }));
    expect(saved.location).toBe(`${app.url}/portal/me?legal_saved=profile`);
    expect(registry.requests.length).toBe(before);
    const blocks = await blocksOf(unit.account.id);
    expect(blocks.legalRepresentative).toMatchObject({ documentValidUntil: '2040-01-31', documentLongTerm: false });
    expect(blocks.mainAgent).toMatchObject({ name: '赵敏', documentNumber: agentDocument, mobile: unit.account.mobile });
    const row = await app.context.db('legal_profiles').where({ account_id: unit.account.id }).first();
    expect(JSON.stringify(row)).not.toContain(agentDocument);
  });

  test('when every field is wrong, then each gets its own message, the status is 400, what was typed stays, and nothing changes', async () => {
    const unit = await createUnit();
    const { agent } = await signedIn(unit);
    const response = await post(agent, '/portal/me/legal', {
      orgName: '', registrationRegion: 'mars', orgType: 'guild', email: 'not-an-email',
      repName: '', repMobile: '12345', repIdentityType: 'atlantis', repDocumentType: 'passport', repDocumentNumber: 'X', repDocumentValidUntil: '2024-02-30',
      agentName: '代办人'.repeat(20), agentIdentityType: 'mainland', agentDocumentType: 'passport', agentDocumentNumber: '', agentDocumentValidUntil: '2001-01-01',
    });
    expect(response.status).toBe(400);
    expect(response.body).toContain('请检查填写的内容');
    for (const [field, message] of [
      ['orgName', '请输入单位名称'], ['registrationRegion', '请从列表中选择'], ['orgType', '请从列表中选择'], ['email', '请输入正确的电子邮箱'],
      ['repName', '请输入姓名'], ['repMobile', '请输入正确的 11 位手机号码'], ['repIdentityType', '请从列表中选择'], ['repDocumentValidUntil', '请输入正确的日期'],
      ['agentName', '内容过长'], ['agentDocumentType', '证件类型与身份类型不符'], ['agentDocumentValidUntil', '证件已过有效期'],
    ]) {
      expect([field, response.body]).toEqual([field, expect.stringMatching(new RegExp(`id="${field}-error">${message}`))]);
      expect(response.body).toMatch(new RegExp(`id="${field}"[^>]*aria-invalid="true"`));
    }
    expect(response.body).toContain('value="not-an-email"');
    expect(response.body).toContain('value="12345"');
    expect((await accountOf(unit.account.id)).legal!.orgName).toBe(unit.account.legal!.orgName);
  });

  test('when the USCC, the representative\'s document or its validity are wrong, then those fields say why', async () => {
    const unit = await createUnit();
    const { agent } = await signedIn(unit);
    const usccs = ['91110108MA01DEM01', `${uniqueUscc().slice(0, 17)}I`, '', unit.account.legal!.uscc!.slice(0, 17) + (unit.account.legal!.uscc!.endsWith('0') ? '1' : '0')];
    const messages = ['统一社会信用代码应为 18 位', '统一社会信用代码含有无效字符', '请输入统一社会信用代码', '统一社会信用代码校验位不正确，请核对'];
    for (const [i, uscc] of usccs.entries()) {
      const response = await post(agent, '/portal/me/legal', form(unit, { uscc, repDocumentNumber: '110105194912310021', repDocumentLongTerm: '' }));
      expect(response.status).toBe(400);
      expect(response.body).toMatch(new RegExp(`id="uscc-error">${messages[i]}`));
      expect(response.body).toMatch(/id="repDocumentNumber-error">证件号码校验位不正确，请核对/);
      expect(response.body).toMatch(/id="repDocumentValidUntil-error">请填写证件有效期，或勾选“长期有效”/);
    }
  });

  test('when a unit registered in Hong Kong saves without a registration number, then the field asks for one; with one, the USCC is dropped and automatic verification says to upload', async () => {
    const unit = await createUnit();
    const { agent } = await signedIn(unit);
    const fields = form(unit, { registrationRegion: 'hmt' });
    const missing = await post(agent, '/portal/me/legal', fields);
    expect(missing.status).toBe(400);
    expect(missing.body).toMatch(/id="registrationNumber-error">请输入单位注册号码/);

    const saved = await post(agent, '/portal/me/legal', { ...fields, registrationNumber: 'HK 2768104' });
    expect(saved.location).toBe(`${app.url}/portal/me?legal_saved=profile&legal_outcome=incomplete`);
    expect((await accountOf(unit.account.id)).legal).toMatchObject({ registrationRegion: 'hmt', uscc: null, registrationNumber: 'HK 2768104' });
    const page = await agent.request(saved.location!);
    expect(page.body).toContain('港澳台地区及境外单位无法自动核验，请上传法人信息，进行人工认证。');
    expect(page.body).not.toContain('action="/portal/me/legal/verify"');
    expect(page.body).toContain('action="/portal/me/legal/upload"');
  });

  test('when a verified unit posts another name, USCC and representative, then its identity stays as verified while the e-mail, the representative\'s mobile and the main agent change', async () => {
    const unit = await createUnit({ realNameVerified: true });
    const { agent, page } = await signedIn(unit);
    expect(page).toContain('已实名认证');
    expect(page).not.toContain('id="orgName"');
    expect(page).not.toContain('id="repName"');
    expect(page).toContain('id="repMobile"');
    const newRepMobile = uniqueMobile();
    const saved = await post(agent, '/portal/me/legal', form(unit, {
      orgName: '另一个单位', uscc: uniqueUscc(), registrationRegion: 'foreign', registrationNumber: 'X-1', repName: '冒名者', repDocumentNumber: uniqueResidentId(), repMobile: newRepMobile,
      agentName: '钱七', email: 'new@example.cn',
    }));
    expect(saved.location).toBe(`${app.url}/portal/me?legal_saved=profile`);
    const account = await accountOf(unit.account.id);
    expect(account.legal).toMatchObject({ orgName: unit.account.legal!.orgName, uscc: unit.account.legal!.uscc, registrationRegion: 'domestic', registrationNumber: null });
    expect(account).toMatchObject({ email: 'new@example.cn', realNameStatus: 'verified' });
    const blocks = await blocksOf(unit.account.id);
    expect(blocks.legalRepresentative).toMatchObject({ name: unit.rep.name, documentNumber: unit.rep.documentNumber, mobile: newRepMobile });
    expect(blocks.mainAgent!.name).toBe('钱七');
  });

  test('when a unit is pending review, then its identity is view only and a save cannot change it', async () => {
    const unit = await createUnit();
    await app.context.accounts.setRealNameStatus(unit.account.id, 'pending_review');
    const { agent, page } = await signedIn(unit);
    expect(page).toContain('审核中');
    expect(page).not.toContain('id="uscc"');
    await post(agent, '/portal/me/legal', form(unit, { orgName: '改名单位', uscc: uniqueUscc(), repName: '改名者' }));
    expect((await accountOf(unit.account.id)).legal!.orgName).toBe(unit.account.legal!.orgName);
    expect((await blocksOf(unit.account.id)).legalRepresentative!.name).toBe(unit.rep.name);
  });

  test('when a rejected unit saves new identity data, then it starts afresh (unverified) and is checked again', async () => {
    const unit = await createUnit();
    const reviewer = await createOperator(app);
    const reviewCase = await openLegalCase(app, unit.account.id);
    await app.context.reviews.reject(reviewCase.id, '营业执照不清晰', { id: reviewer.id });
    const { agent, page } = await signedIn(unit);
    expect(page).toContain('审核未通过');
    expect(page).toContain('原因：营业执照不清晰');
    const saved = await post(agent, '/portal/me/legal', form(unit, { orgName: `${unit.account.legal!.orgName}（北京）` }));
    expect(saved.location).toBe(`${app.url}/portal/me?legal_saved=profile&legal_outcome=mismatch`);
    expect((await accountOf(unit.account.id)).realNameStatus).toBe('unverified');
  });

  test('when the registry is down, then 立即认证 says to try later or upload; once it is back, 立即认证 verifies', async () => {
    const unit = await createUnit();
    const { uscc, orgName } = unit.account.legal!;
    registry.script(uscc!, (_request, res) => json(res, 503, { error: 'maintenance' }));
    const { agent } = await signedIn(unit);
    const first = await post(agent, '/portal/me/legal/verify', {});
    expect(first.location).toBe(`${app.url}/portal/me?legal_outcome=unavailable`);
    expect((await agent.request(first.location!)).body).toContain('企业登记信息核验服务暂时不可用');

    registry.script(uscc!, (_request, res) => json(res, 200, { result: 'match', org_name: orgName }));
    const second = await post(agent, '/portal/me/legal/verify', {});
    expect(second.location).toBe(`${app.url}/portal/me?legal_outcome=verified`);
    expect((await accountOf(unit.account.id)).realNameStatus).toBe('verified');
  });

  test('when the USCC already verifies another account, then the unit is told so and stays unverified', async () => {
    const holder = await createUnit({ realNameVerified: true });
    const unit = await createUnit({ uscc: holder.account.legal!.uscc! });
    const { agent } = await signedIn(unit);
    const response = await post(agent, '/portal/me/legal/verify', {});
    const page = await agent.request(response.location!);
    expect(page.body).toContain('该统一社会信用代码已用于其他法人账号的实名认证');
    expect((await accountOf(unit.account.id)).realNameStatus).toBe('unverified');
  });

  test('when a unit asks for verification over and over, then after 20 attempts in an hour the registry is not asked again', async () => {
    const unit = await createUnit();
    const { agent } = await signedIn(unit);
    for (let i = 0; i < 20; i += 1) expect((await post(agent, '/portal/me/legal/verify', {})).location).toContain('legal_outcome=mismatch');
    const limited = await post(agent, '/portal/me/legal/verify', {});
    expect(limited.location).toBe(`${app.url}/portal/me?legal_outcome=limited`);
    expect(registry.requestsFor(unit.account.legal!.uscc!)).toHaveLength(20);
    expect((await agent.request(limited.location!)).body).toContain('操作过于频繁，请稍后再试。');
  });

  test('when a form comes without its CSRF token, then it is refused with 403 and nothing changes', async () => {
    const unit = await createUnit();
    const { agent } = await signedIn(unit);
    const response = await agent.request(`${app.url}/portal/me/legal`, { form: form(unit, { orgName: '攻击者单位' }) });
    expect(response.status).toBe(403);
    expect((await agent.request(`${app.url}/portal/me/legal/verify`, { form: {} })).status).toBe(403);
    expect((await accountOf(unit.account.id)).legal!.orgName).toBe(unit.account.legal!.orgName);
  });

  test('when a natural person posts the unit form, then the answer is 404', async () => {
    const natural = await createNaturalAccount(app);
    const agent = new UserAgent({ 'x-forwarded-for': uniqueIp() });
    const login = await agent.follow(`${app.url}/portal/login?login_type=natural`);
    await agent.submit(`${login.url.split('?')[0]}/login`, { csrf: hiddenInput(login.body, 'csrf')!, ...credentials(natural) });
    expect((await post(agent, '/portal/me/legal', form(await createUnit(), { orgName: '单位' }))).status).toBe(404);
    expect((await post(agent, '/portal/me/legal/verify', {})).status).toBe(404);
  });

  test('when the reserved mobile is changed with both SMS codes, then the main agent\'s mobile changes with it', async () => {
    const unit = await createUnit();
    const { agent } = await signedIn(unit);
    const newMobile = uniqueMobile();
    const mobileForm = async (fields: Record<string, string>) => {
      const page = await agent.request(`${app.url}/portal/me`);
      const captchaId = hiddenInput(page.body, 'captchaId')!;
      return agent.request(`${app.url}/portal/me/mobile`, { form: { csrf: hiddenInput(page.body, 'csrf')!, captchaId, captcha: CAPTCHA, newMobile, ...fields } });
    };
    await mobileForm({ action: 'send_old' });
    await mobileForm({ action: 'send_new' });
    const changed = await mobileForm({ action: 'change', oldCode: await outboxCode(app, unit.account.mobile), newCode: await outboxCode(app, newMobile) });
    expect(changed.location).toBe(`${app.url}/portal/me?saved=mobile`);
    expect((await accountOf(unit.account.id)).mobile).toBe(newMobile);
    expect((await blocksOf(unit.account.id)).mainAgent).toMatchObject({ name: unit.agent.name, mobile: newMobile, documentNumber: unit.agent.documentNumber });
    const page = await agent.request(`${app.url}/portal/me`);
    expect(page.body).toContain(`${newMobile.slice(0, 3)}****${newMobile.slice(-4)}`);
  });
});
