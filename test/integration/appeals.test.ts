/**
 * 申诉找回密码 over HTTP (SPEC §7, §4 uploads, §6): the natural and legal appeal forms, their SMS
 * step, every field's bad input, the photos (type by content, size, missing), 等待审核, the status
 * page, the daily limits, and answers that tell nobody which documents or units have accounts.
 */
import crypto from 'node:crypto';
import { createLegalAccount, createNaturalAccount, uniqueIp, uniqueUscc } from '../support/accounts.js';
import {
  APPEAL_TEST_ENV,
  appealAgent,
  bothPhotos,
  CAPTCHA_ANSWER,
  jpeg,
  legalFields,
  multipart,
  naturalFields,
  png,
  postLegalAppeal,
  postNaturalAppeal,
  requestAppealCode,
  searchUnit,
  submittedCaseNumber,
} from '../support/appeals.js';
import { uniqueName, uniqueResidentId } from '../support/identities.js';
import { plainImage } from '../support/review.js';
import { outboxCode } from '../support/sms-outbox.js';
import { startTestApp, uniqueMobile, type TestApp } from '../support/test-app.js';
import { alertText, hiddenInput, type UserAgent } from '../support/user-agent.js';

const MB = 1024 * 1024;

/** The message shown under a field (its `<name>-note`), if any. */
function fieldNote(html: string, field: string): string | undefined {
  return new RegExp(`id="${field}-note"[^>]*>([^<]*)<`).exec(html)?.[1];
}

/** An input's value as the page shows it again. */
function inputValue(html: string, field: string): string | undefined {
  return new RegExp(`id="${field}"[^>]*value="([^"]*)"`).exec(html)?.[1];
}

/** A page without what differs between two submissions of the same form: tokens, captchas, case numbers, masked mobiles. */
function comparable(html: string): string {
  return html
    .replace(/value="[^"]*"/g, 'value=""')
    .replace(/src="data:[^"]*"/g, 'src=""')
    .replace(/SS\d{14}/g, 'SS…')
    .replace(/1\d{2}\*{4}\d{4}/g, '1**')
    .replace(/\d{2}:\d{2}/g, 'hh:mm');
}

describe('appeals (申诉找回密码) over HTTP', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ env: APPEAL_TEST_ENV });
  });
  afterAll(() => app?.close());

  const appealOf = async (caseNumber: string) => {
    const row = await app.context.db('appeals as p').join('review_cases as c', 'c.id', 'p.case_id').where('p.case_number', caseNumber).first('c.*', 'p.applicant_encrypted');
    return row as Record<string, unknown> & { id: string; snapshot: Record<string, unknown>; applicant_encrypted: string };
  };
  const uploadsOfCase = (caseId: string) =>
    app.context.db('review_case_uploads as r').join('uploads as u', 'u.id', 'r.upload_id').where('r.case_id', caseId).select('r.role', 'u.owner_account_id', 'u.media_type', 'u.ciphertext');
  /** Appeals stored from one address (each test's agent has its own): other files file appeals meanwhile. */
  const appealsFiledFrom = async (ip: string) =>
    Number((await app.context.db('audit_events').where({ event: 'appeal.submitted', outcome: 'success', ip }).count<{ n: string }[]>('id as n'))[0]!.n);

  describe('自然人申诉找回密码', () => {
    test('when the page opens, then it has the guide’s notes, the two steps, every field with its label, and the SMS code for purpose appeal', async () => {
      const page = await appealAgent().request(`${app.url}/recovery/appeal/natural`);
      expect(page.status).toBe(200);
      for (const text of ['自然人申诉找回密码', '密码将优先以短信形式反馈给用户', '上传证件', '等待审核', '不超过 1 MB', '证件需签字上传。']) expect(page.body).toContain(text);
      for (const field of ['name', 'identityType', 'documentType', 'documentNumber', 'mobile', 'front', 'back', 'captcha', 'smsCode']) {
        expect(page.body).toMatch(new RegExp(`<label for="${field}">`));
      }
      expect(page.body).toContain('enctype="multipart/form-data"');
      expect(page.body).toContain('data-sms-purpose="appeal"');
    });

    test('when an appeal is filed with both photos and the code, then 等待审核 shows its case number, and the case, the encrypted appeal, the photos and the audit event are stored', async () => {
      const ip = uniqueIp();
      const agent = appealAgent(ip);
      const fields = naturalFields();
      const response = await postNaturalAppeal(app, agent, fields, await bothPhotos());
      expect(response.status).toBe(303);
      expect(response.location).toBe(`${app.url}/recovery/appeal/submitted`);
      expect(await appealsFiledFrom(ip)).toBe(1);

      const page = await agent.request(response.location!);
      expect(page.status).toBe(200);
      expect(page.body).toContain('申诉已提交，等待审核。');
      expect(page.body).toContain(`${fields.mobile!.slice(0, 3)}****${fields.mobile!.slice(-4)}`);
      const caseNumber = await submittedCaseNumber(app, agent);
      const beijingToday = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10).replaceAll('-', '');
      expect(caseNumber).toMatch(new RegExp(`^SS${beijingToday}\\d{6}$`));

      const stored = await appealOf(caseNumber);
      expect(stored).toMatchObject({ kind: 'natural_appeal', status: 'pending', account_id: null });
      expect(stored.snapshot).toEqual({
        caseNumber,
        name: fields.name,
        identityType: 'mainland',
        documentType: 'resident_id',
        documentNumberMasked: `${fields.documentNumber!.slice(0, 3)}***********${fields.documentNumber!.slice(-4)}`,
        mobileMasked: `${fields.mobile!.slice(0, 3)}****${fields.mobile!.slice(-4)}`,
      });
      expect(stored.applicant_encrypted).not.toContain(fields.documentNumber);
      expect(stored.applicant_encrypted).not.toContain(fields.mobile);
      const photos = await uploadsOfCase(stored.id);
      expect(photos.map((p) => [p.role, p.owner_account_id, p.media_type]).sort()).toEqual([
        ['identity_document_back', null, 'image/png'],
        ['identity_document_front', null, 'image/jpeg'],
      ]);
      for (const photo of photos) expect(photo.ciphertext.subarray(0, 3)).not.toEqual(Buffer.from([0xff, 0xd8, 0xff]));

      const [audit] = await app.context.db('audit_events').where({ event: 'appeal.submitted', subject_id: stored.id }).select();
      expect(audit).toMatchObject({ outcome: 'success', actor_type: 'anonymous', details: { kind: 'natural_appeal', caseNumber, documentType: 'resident_id' } });
      expect(JSON.stringify(audit.details)).not.toContain(fields.documentNumber);
      expect(JSON.stringify(audit.details)).not.toContain(fields.mobile);
    });

    test('when the document verifies an account or verifies none, then filing gives the same answer, and nothing about the account is looked up or told', async () => {
      const documentNumber = uniqueResidentId();
      const holder = await createNaturalAccount(app, { documentNumber, realNameVerified: true, name: uniqueName() });
      const answers = [];
      for (const number of [documentNumber, uniqueResidentId()]) {
        const agent = appealAgent();
        const response = await postNaturalAppeal(app, agent, naturalFields({ documentNumber: number }), await bothPhotos());
        const page = await agent.request(response.location!);
        answers.push({ status: response.status, location: response.location, page: comparable(page.body), pageStatus: page.status });
      }
      expect(answers[0]).toEqual(answers[1]);
      expect(answers[0]!.page).not.toContain(holder.loginName);
    });

    test('when the form is sent empty, then every field says what is missing (400), and nothing is stored', async () => {
      const ip = uniqueIp();
      const agent = appealAgent(ip);
      const page = await agent.request(`${app.url}/recovery/appeal/natural`);
      const response = await agent.request(`${app.url}/recovery/appeal/natural`, {
        multipart: multipart(page.body, { name: '', identityType: '', documentType: '', documentNumber: '', mobile: '', smsCode: '' }, {}),
      });
      expect(response.status).toBe(400);
      expect(alertText(response.body)).toBe('请检查填写的内容');
      expect(fieldNote(response.body, 'name')).toBe('请输入姓名');
      expect(fieldNote(response.body, 'identityType')).toBe('请从列表中选择');
      expect(fieldNote(response.body, 'mobile')).toBe('请输入正确的 11 位手机号码');
      expect(fieldNote(response.body, 'smsCode')).toBe('请输入 6 位数字短信验证码');
      expect(fieldNote(response.body, 'front')).toBe('请选择要上传的图片');
      expect(fieldNote(response.body, 'back')).toBe('请选择要上传的图片');
      expect(response.body).toMatch(/id="name"[^>]*aria-invalid="true"/);
      expect(await appealsFiledFrom(ip)).toBe(0);
    });

    test.each([
      ['a name of 51 characters', { name: '张'.repeat(51) }, 'name', '内容过长'],
      ['a passport number for a mainland identity', { documentType: 'passport' }, 'documentType', '证件类型与身份类型不符'],
      ['a resident ID with a wrong check character', { documentNumber: '110105194912310021' }, 'documentNumber', '证件号码校验位不正确，请核对'],
      ['a resident ID of 17 characters', { documentNumber: '11010519491231002' }, 'documentNumber', '证件号码位数不正确'],
      ['no document number', { documentNumber: '' }, 'documentNumber', '请输入证件号码'],
      ['a mobile of 10 digits', { mobile: '1391234567' }, 'mobile', '请输入正确的 11 位手机号码'],
      ['an unknown identity type', { identityType: 'martian' }, 'identityType', '请从列表中选择'],
    ])('when the form has %s, then that field says so (400), the rest is kept as typed, and nothing is stored', async (_case, override, field, message) => {
      const ip = uniqueIp();
      const agent = appealAgent(ip);
      const fields = naturalFields(override);
      const response = await postNaturalAppeal(app, agent, fields, await bothPhotos(), { code: '123456' });
      expect(response.status).toBe(400);
      expect(fieldNote(response.body, field)).toBe(message);
      if (field !== 'name') expect(inputValue(response.body, 'name')).toBe(fields.name);
      if (field !== 'mobile') expect(inputValue(response.body, 'mobile')).toBe(fields.mobile);
      // The photos were fine but cannot be shown again: the page asks for them anew.
      expect(response.body).toContain('提交前请重新选择证件正面和反面');
      expect(await appealsFiledFrom(ip)).toBe(0);
    });

    test('when the SMS code is wrong, then the code field says so with the tries left (400), and a right code then files the appeal', async () => {
      const agent = appealAgent();
      const fields = naturalFields();
      const code = await requestAppealCode(app, agent, fields.mobile!);
      const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
      const refused = await postNaturalAppeal(app, agent, fields, await bothPhotos(), { code: wrong });
      expect(refused.status).toBe(400);
      expect(fieldNote(refused.body, 'smsCode')).toBe('短信验证码错误，还可尝试 4 次');
      expect(inputValue(refused.body, 'documentNumber')).toBe(fields.documentNumber);
      const filed = await postNaturalAppeal(app, agent, fields, await bothPhotos(), { code });
      expect(filed.status).toBe(303);
    });

    test('when a code for registration is given, then it does not file an appeal (codes are bound to their purpose)', async () => {
      const agent = appealAgent();
      const fields = naturalFields();
      await app.context.smsCodes.requestCode({ mobile: fields.mobile!, purpose: 'register', ip: uniqueIp() });
      const response = await postNaturalAppeal(app, agent, fields, await bothPhotos(), { code: await outboxCode(app, fields.mobile!) });
      expect(response.status).toBe(400);
      expect(fieldNote(response.body, 'smsCode')).toBe('请先获取短信验证码（每个验证码只能使用一次）');
    });
  });

  describe('the photos', () => {
    async function refused(photos: Parameters<typeof postNaturalAppeal>[3]) {
      const ip = uniqueIp();
      const agent = appealAgent(ip);
      const fields = naturalFields();
      const response = await postNaturalAppeal(app, agent, fields, photos, { code: '123456' });
      expect(await appealsFiledFrom(ip)).toBe(0);
      expect(inputValue(response.body, 'name')).toBe(fields.name);
      return response;
    }

    test('when a text file is named .jpg, then it is refused by its content (415) on its field', async () => {
      const response = await refused({ front: { bytes: Buffer.from('not an image\n'.repeat(40)), filename: 'front.jpg' }, back: await png() });
      expect(response.status).toBe(415);
      expect(fieldNote(response.body, 'front')).toBe('只能上传 jpg、jpeg 或 png 格式的图片');
      expect(fieldNote(response.body, 'back')).toBeUndefined();
    });

    test('when a PNG is named .pdf, then it is refused by its name too (415)', async () => {
      const response = await refused({ front: await jpeg(), back: { bytes: await plainImage('png'), filename: 'back.pdf' } });
      expect(response.status).toBe(415);
      expect(fieldNote(response.body, 'back')).toBe('只能上传 jpg、jpeg 或 png 格式的图片');
    });

    test('when a photo is 2 MB, then it is refused (413) before storage, and the form comes back with what was typed', async () => {
      const big = Buffer.concat([await plainImage('jpeg'), crypto.randomBytes(2 * MB)]);
      const response = await refused({ front: { bytes: big, filename: 'front.jpg' }, back: await png() });
      expect(response.status).toBe(413);
      expect(fieldNote(response.body, 'front')).toBe('图片不能超过 1 MB，请压缩后重新上传');
    });

    test('when the back is missing, then it is asked for (400)', async () => {
      const response = await refused({ front: await jpeg() });
      expect(response.status).toBe(400);
      expect(fieldNote(response.body, 'back')).toBe('请选择要上传的图片');
    });

    test('when the request carries no CSRF token, then it is refused (403) and nothing is stored', async () => {
      const ip = uniqueIp();
      const agent = appealAgent(ip);
      await agent.request(`${app.url}/recovery/appeal/natural`);
      const form = multipart('', naturalFields(), await bothPhotos());
      const response = await agent.request(`${app.url}/recovery/appeal/natural`, { multipart: form });
      expect(response.status).toBe(403);
      expect(await appealsFiledFrom(ip)).toBe(0);
    });
  });

  describe('获取验证码 without JavaScript', () => {
    test('when the captcha is not answered, then the captcha field says so and no code is sent', async () => {
      const agent = appealAgent();
      const fields = naturalFields();
      const page = await agent.request(`${app.url}/recovery/appeal/natural`);
      const response = await agent.request(`${app.url}/recovery/appeal/natural`, { multipart: multipart(page.body, fields, {}, 'send_sms') });
      expect(response.status).toBe(400);
      expect(fieldNote(response.body, 'captcha')).toBe('请输入图形验证码');
      expect(await app.context.smsOutbox.recent({ mobile: fields.mobile!, limit: 1 })).toEqual([]);
    });

    test('when the captcha is answered, then an appeal code goes to the mobile, the form is kept, and the photos sent along are asked for again', async () => {
      const agent = appealAgent();
      const fields = naturalFields();
      const page = await agent.request(`${app.url}/recovery/appeal/natural`);
      const response = await agent.request(`${app.url}/recovery/appeal/natural`, {
        multipart: multipart(page.body, { ...fields, captcha: CAPTCHA_ANSWER }, await bothPhotos(), 'send_sms'),
      });
      expect(response.status).toBe(200);
      expect(fieldNote(response.body, 'smsCode')).toMatch(/^验证码已发送至您的手机/);
      expect(inputValue(response.body, 'documentNumber')).toBe(fields.documentNumber);
      expect(response.body).toContain('提交前请重新选择证件正面和反面');
      const [message] = await app.context.smsOutbox.recent({ mobile: fields.mobile!, limit: 1 });
      expect(message!.text).toContain('您正在提交账号申诉');
    });
  });

  describe('单位法人用户申诉找回密码', () => {
    test('when the page opens, then it is step 1 (检索单位) with the unit name and an image captcha', async () => {
      const page = await appealAgent().request(`${app.url}/recovery/appeal/legal`);
      expect(page.status).toBe(200);
      for (const text of ['单位法人用户申诉找回密码', '检索单位', '上传文件', '等待审核', '密码将优先以短信形式反馈给用户']) expect(page.body).toContain(text);
      expect(page.body).toMatch(/<label for="orgName">/);
      expect(page.body).toMatch(/<label for="captcha">/);
      expect(page.body).toContain('aria-current="step"');
    });

    test('when 检索单位 is sent without a name or captcha, or with a wrong captcha, then the fields say so (400)', async () => {
      const agent = appealAgent();
      const empty = await searchUnit(app, agent, '  ', '');
      expect(empty.status).toBe(400);
      expect(fieldNote(empty.body, 'orgName')).toBe('请输入单位名称');
      expect(fieldNote(empty.body, 'captcha')).toBe('请输入图形验证码');
      const long = await searchUnit(app, agent, '单'.repeat(101));
      expect(fieldNote(long.body, 'orgName')).toBe('单位名称过长');
      const wrong = await searchUnit(app, agent, '某某科技有限公司', 'wrong');
      expect(wrong.status).toBe(400);
      expect(fieldNote(wrong.body, 'captcha')).toBe('图形验证码错误或已过期，请重新输入');
      expect(inputValue(wrong.body, 'orgName')).toBe('某某科技有限公司');
    });

    test('when a registered unit and an unknown one are searched, then both get the same form (the search tells nobody which units have accounts)', async () => {
      const unit = await createLegalAccount(app);
      const forms = [];
      for (const orgName of [unit.account.legal!.orgName, `${uniqueName()}未注册有限公司`]) {
        const page = await searchUnit(app, appealAgent(), orgName);
        expect(page.status).toBe(200);
        expect(inputValue(page.body, 'orgName')).toBe(orgName);
        forms.push(comparable(page.body));
      }
      expect(forms[0]).toEqual(forms[1]);
      expect(forms[0]).toContain('aria-current="step"');
      expect(forms[0]).toMatch(/<label for="agentDocumentNumber">/);
    });

    test('when 检索单位 is asked more than 20 times in 10 minutes from one address, then it answers 429', async () => {
      const agent = appealAgent();
      for (let i = 0; i < 20; i += 1) expect((await searchUnit(app, agent, `单位${i}`)).status).toBe(200);
      const refused = await searchUnit(app, agent, '单位21');
      expect(refused.status).toBe(429);
      expect(alertText(refused.body)).toBe('操作过于频繁，请稍后再试。');
    });

    test('when a unit’s appeal is filed, then 等待审核 shows the three steps and a case number, and the case holds the unit and its main agent masked', async () => {
      const agent = appealAgent();
      const fields = legalFields({ uscc: uniqueUscc() });
      const response = await postLegalAppeal(app, agent, fields, await bothPhotos());
      expect(response.status).toBe(303);
      const page = await agent.request(response.location!);
      expect(page.body).toContain('单位法人用户申诉找回密码');
      expect(page.body).toMatch(/is-current[^>]*>\s*<span class="steps__number">3<\/span> 等待审核/);
      const caseNumber = await submittedCaseNumber(app, agent);
      const stored = await appealOf(caseNumber);
      expect(stored).toMatchObject({ kind: 'legal_appeal', status: 'pending', account_id: null });
      expect(stored.snapshot).toEqual({
        caseNumber,
        orgName: fields.orgName,
        orgType: 'enterprise',
        uscc: fields.uscc,
        mainAgent: {
          name: fields.agentName,
          identityType: 'mainland',
          documentType: 'resident_id',
          documentNumberMasked: `${fields.agentDocumentNumber!.slice(0, 3)}***********${fields.agentDocumentNumber!.slice(-4)}`,
          mobileMasked: `${fields.agentMobile!.slice(0, 3)}****${fields.agentMobile!.slice(-4)}`,
        },
      });
      for (const secret of [fields.agentDocumentNumber!, fields.agentMobile!, fields.email!, fields.reason!]) expect(stored.applicant_encrypted).not.toContain(secret);
    });

    test('when the USCC belongs to a legal account or to none, then filing gives the same answer', async () => {
      const unit = await createLegalAccount(app, { realNameVerified: true });
      const answers = [];
      for (const uscc of [unit.account.legal!.uscc!, uniqueUscc()]) {
        const agent = appealAgent();
        const response = await postLegalAppeal(app, agent, legalFields({ orgName: '同一个单位名称有限公司', uscc }), await bothPhotos());
        answers.push({ status: response.status, location: response.location, page: comparable((await agent.request(response.location!)).body) });
      }
      expect(answers[0]).toEqual(answers[1]);
    });

    test('when every field is wrong, then each says so (400) with the photos, the unit name kept, and nothing is stored', async () => {
      const ip = uniqueIp();
      const agent = appealAgent(ip);
      const fields = legalFields({
        orgType: 'pirate',
        uscc: '91110108MA01DEM01X',
        agentName: '',
        agentIdentityType: 'mainland',
        agentDocumentType: 'passport',
        agentMobile: '12345',
        email: 'not-an-email',
        reason: '',
        smsCode: '12',
      });
      const response = await postLegalAppeal(app, agent, fields, {}, { code: null });
      expect(response.status).toBe(400);
      expect(fieldNote(response.body, 'orgType')).toBe('请选择法人类型');
      expect(fieldNote(response.body, 'uscc')).toMatch(/^统一社会信用代码/);
      expect(fieldNote(response.body, 'agentName')).toBe('请输入姓名');
      expect(fieldNote(response.body, 'agentDocumentType')).toBe('证件类型与身份类型不符');
      expect(fieldNote(response.body, 'agentMobile')).toBe('请输入正确的 11 位手机号码');
      expect(fieldNote(response.body, 'email')).toBe('请输入正确的电子邮箱');
      expect(fieldNote(response.body, 'reason')).toBe('请填写密码修改原因');
      expect(fieldNote(response.body, 'smsCode')).toBe('请输入 6 位数字短信验证码');
      expect(fieldNote(response.body, 'front')).toBe('请选择要上传的图片');
      expect(fieldNote(response.body, 'back')).toBe('请选择要上传的图片');
      expect(inputValue(response.body, 'orgName')).toBe(fields.orgName);
      expect(inputValue(response.body, 'email')).toBe('not-an-email');
      expect(await appealsFiledFrom(ip)).toBe(0);
    });

    test.each([
      ['no USCC', { uscc: '' }, 'uscc', '请输入统一社会信用代码'],
      ['no e-mail', { email: '' }, 'email', '请输入电子邮箱'],
      ['a reason of 501 characters', { reason: '因'.repeat(501) }, 'reason', '密码修改原因不能超过 500 字'],
      ['a main agent’s resident ID with a wrong check character', { agentDocumentNumber: '110105194912310021' }, 'agentDocumentNumber', '证件号码校验位不正确，请核对'],
      ['an unknown identity type for the main agent', { agentIdentityType: 'martian' }, 'agentIdentityType', '请从列表中选择'],
      ['a main agent’s name of 51 characters', { agentName: '李'.repeat(51) }, 'agentName', '内容过长'],
    ])('when the legal form has %s, then that field says so (400)', async (_case, override, field, message) => {
      const response = await postLegalAppeal(app, appealAgent(), legalFields({ uscc: uniqueUscc(), ...override }), await bothPhotos(), { code: '123456' });
      expect(response.status).toBe(400);
      expect(fieldNote(response.body, field)).toBe(message);
    });

    test('when the form is posted without 检索单位, or for another unit than searched, then it goes back to the search (400) and nothing is stored', async () => {
      const ip = uniqueIp();
      const agent = appealAgent(ip);
      const fields = legalFields({ uscc: uniqueUscc() });
      const searchPage = await agent.request(`${app.url}/recovery/appeal/legal`);
      const skipped = await agent.request(`${app.url}/recovery/appeal/legal`, { multipart: multipart(searchPage.body, fields, await bothPhotos()) });
      expect(skipped.status).toBe(400);
      expect(alertText(skipped.body)).toBe('请先检索单位，再填写申诉信息。');
      expect(skipped.body).toContain('action="/recovery/appeal/legal/search"');

      const searched = await searchUnit(app, agent, fields.orgName!);
      const swapped = await agent.request(`${app.url}/recovery/appeal/legal`, { multipart: multipart(searched.body, { ...fields, orgName: '另一个单位有限公司' }, await bothPhotos()) });
      expect(swapped.status).toBe(400);
      expect(alertText(swapped.body)).toBe('请先检索单位，再填写申诉信息。');
      expect(await appealsFiledFrom(ip)).toBe(0);
    });

    test('when 获取验证码 is posted from the legal form, then the code goes to the main agent’s mobile', async () => {
      const agent = appealAgent();
      const fields = legalFields({ uscc: uniqueUscc() });
      const form = await searchUnit(app, agent, fields.orgName!);
      const response = await agent.request(`${app.url}/recovery/appeal/legal`, { multipart: multipart(form.body, { ...fields, captcha: CAPTCHA_ANSWER }, {}, 'send_sms') });
      expect(response.status).toBe(200);
      expect(fieldNote(response.body, 'smsCode')).toMatch(/^验证码已发送至您的手机/);
      expect(await outboxCode(app, fields.agentMobile!)).toMatch(/^\d{6}$/);
    });
  });

  describe('daily limits', () => {
    test('when one document has been appealed 3 times today, then a 4th appeal is refused (429) before its code is spent, and the refusal is audited', async () => {
      const documentNumber = uniqueResidentId();
      for (let i = 0; i < 3; i += 1) {
        expect((await postNaturalAppeal(app, appealAgent(), naturalFields({ documentNumber }), await bothPhotos())).status).toBe(303);
      }
      const agent = appealAgent();
      const fields = naturalFields({ documentNumber });
      const code = await requestAppealCode(app, agent, fields.mobile!);
      const refused = await postNaturalAppeal(app, agent, fields, await bothPhotos(), { code });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(alertText(refused.body)).toBe('今日申诉次数已达上限，请明天再试。如有疑问，请拨打技术支持电话。');
      const row = await app.context.db('sms_codes').where({ mobile_index: app.context.crypt.blindIndex(fields.mobile!) }).orderBy('id', 'desc').first('used_at');
      expect(row.used_at).toBeNull();
      const [audit] = await app.context.db('audit_events').where({ event: 'appeal.submitted', outcome: 'refused' }).orderBy('id', 'desc').limit(1).select();
      expect(audit.details).toEqual({ kind: 'natural', reason: 'appeal-document' });
    });

    test('when a unit’s USCC has been appealed 3 times today, then a 4th appeal for it is refused (429), whoever files it', async () => {
      const uscc = uniqueUscc();
      for (let i = 0; i < 3; i += 1) expect((await postLegalAppeal(app, appealAgent(), legalFields({ uscc }), await bothPhotos())).status).toBe(303);
      expect((await postLegalAppeal(app, appealAgent(), legalFields({ uscc }), await bothPhotos())).status).toBe(429);
    });

    test('when one address has filed 10 appeals today, then its 11th is refused (429)', async () => {
      const ip = uniqueIp();
      for (let i = 0; i < 10; i += 1) expect((await postNaturalAppeal(app, appealAgent(ip), naturalFields(), await bothPhotos())).status).toBe(303);
      const refused = await postNaturalAppeal(app, appealAgent(ip), naturalFields(), await bothPhotos());
      expect(refused.status).toBe(429);
    }, 30_000);
  });

  describe('form posts', () => {
    test('when one address posts appeal forms more than 30 times in an hour, then the 31st is refused (429) before it is read', async () => {
      const agent = appealAgent();
      const page = await agent.request(`${app.url}/recovery/appeal/natural`);
      for (let i = 0; i < 30; i += 1) {
        expect((await agent.request(`${app.url}/recovery/appeal/natural`, { multipart: multipart(page.body, {}, {}) })).status).toBe(400);
      }
      const refused = await agent.request(`${app.url}/recovery/appeal/legal`, { multipart: multipart(page.body, {}, {}) });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    });

    test('when the body is not multipart, then it is refused (415) with a message', async () => {
      const agent = appealAgent();
      const page = await agent.request(`${app.url}/recovery/appeal/natural`);
      const response = await agent.request(`${app.url}/recovery/appeal/natural`, { form: { csrf: hiddenInput(page.body, 'csrf')!, name: 'x' } });
      expect(response.status).toBe(415);
      expect(response.body).toContain('请通过页面上的表单上传图片');
    });
  });

  describe('等待审核 and the status page', () => {
    async function filed() {
      const agent = appealAgent();
      const fields = naturalFields();
      await postNaturalAppeal(app, agent, fields, await bothPhotos());
      return { caseNumber: await submittedCaseNumber(app, agent), mobile: fields.mobile! };
    }

    async function lookUp(agent: UserAgent, values: Record<string, string>) {
      const page = await agent.request(`${app.url}/recovery/appeal/status`);
      return agent.request(`${app.url}/recovery/appeal/status`, {
        form: { csrf: hiddenInput(page.body, 'csrf') ?? '', captchaId: hiddenInput(page.body, 'captchaId') ?? '', captcha: CAPTCHA_ANSWER, ...values },
      });
    }

    test('when another browser opens 等待审核, then it finds nothing there (404)', async () => {
      const response = await appealAgent().request(`${app.url}/recovery/appeal/submitted`);
      expect(response.status).toBe(404);
      expect(response.body).toContain('申诉提交结果页面已过期');
    });

    test('when the case number and mobile are given, then the status says 审核中', async () => {
      const { caseNumber, mobile } = await filed();
      const response = await lookUp(appealAgent(), { caseNumber: caseNumber.toLowerCase(), mobile });
      expect(response.status).toBe(200);
      expect(response.body).toMatch(/data-appeal-status="pending"/);
      expect(response.body).toContain('审核中');
      expect(response.body).toContain(caseNumber);
    });

    test('when the mobile is another, or the case number unknown, then the answer is the same 未找到', async () => {
      const { caseNumber, mobile } = await filed();
      const other = await lookUp(appealAgent(), { caseNumber, mobile: uniqueMobile() });
      const unknown = await lookUp(appealAgent(), { caseNumber: `SS${caseNumber.slice(2, 10)}000000`, mobile });
      expect(other.status).toBe(200);
      expect(alertText(other.body)).toBe('未找到：请核对申诉编号和手机号码。');
      expect(comparable(other.body)).toEqual(comparable(unknown.body));
    });

    test('when the fields are empty or malformed, then each says so (400), and the captcha is asked for', async () => {
      const agent = appealAgent();
      const page = await agent.request(`${app.url}/recovery/appeal/status`);
      const empty = await agent.request(`${app.url}/recovery/appeal/status`, { form: { csrf: hiddenInput(page.body, 'csrf')!, caseNumber: '', mobile: '', captcha: '' } });
      expect(empty.status).toBe(400);
      expect(fieldNote(empty.body, 'caseNumber')).toBe('请输入申诉编号');
      expect(fieldNote(empty.body, 'mobile')).toBe('请输入正确的 11 位手机号码');
      expect(fieldNote(empty.body, 'captcha')).toBe('请输入图形验证码');
      const malformed = await lookUp(agent, { caseNumber: 'AB123', mobile: '13912345678' });
      expect(fieldNote(malformed.body, 'caseNumber')).toBe('申诉编号格式不正确：SS 开头，共 16 位');
      expect(inputValue(malformed.body, 'caseNumber')).toBe('AB123');
    });

    test('when the status is looked up more than 20 times in 10 minutes from one address, then it answers 429', async () => {
      const agent = appealAgent();
      const { caseNumber, mobile } = await filed();
      for (let i = 0; i < 20; i += 1) expect((await lookUp(agent, { caseNumber, mobile: uniqueMobile() })).status).toBe(200);
      const refused = await lookUp(agent, { caseNumber, mobile });
      expect(refused.status).toBe(429);
      expect(refused.body).not.toContain('审核中');
    });

    test('when the page is asked for in English, then it speaks English', async () => {
      const page = await appealAgent().request(`${app.url}/recovery/appeal/natural?lang=en`);
      expect(page.body).toContain('Natural-person appeal to recover a password');
      expect(page.body).toContain('the password is sent by SMS first');
    });
  });
});
