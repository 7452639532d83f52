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
  outboxCode,
  png,
  postLegalAppeal,
  postNaturalAppeal,
  requestAppealCode,
  searchUnit,
  submittedCaseNumber,
} from '../support/appeals.js';
import { uniqueName, uniqueResidentId } from '../support/identities.js';
import { plainImage } from '../support/review.js';
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
  const appealCount = async () => Number((await app.context.db('appeals').count<{ n: string }[]>('case_id as n'))[0]!.n);

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
      const agent = appealAgent();
      const fields = naturalFields();
      const response = await postNaturalAppeal(app, agent, fields, await bothPhotos());
      expect(response.status).toBe(303);
      expect(response.location).toBe(`${app.url}/recovery/appeal/submitted`);

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
      const before = await appealCount();
      const agent = appealAgent();
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
      expect(await appealCount()).toBe(before);
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
      const before = await appealCount();
      const agent = appealAgent();
      const fields = naturalFields(override);
      const response = await postNaturalAppeal(app, agent, fields, await bothPhotos(), { code: '123456' });
      expect(response.status).toBe(400);
      expect(fieldNote(response.body, field)).toBe(message);
      if (field !== 'name') expect(inputValue(response.body, 'name')).toBe(fields.name);
      if (field !== 'mobile') expect(inputValue(response.body, 'mobile')).toBe(fields.mobile);
      // The photos were fine but cannot be shown again: the page asks for them anew.
      expect(response.body).toContain('提交前请重新选择证件正面和反面');
      expect(await appealCount()).toBe(before);
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
      const before = await appealCount();
      const agent = appealAgent();
      const fields = naturalFields();
      const response = await postNaturalAppeal(app, agent, fields, photos, { code: '123456' });
      expect(await appealCount()).toBe(before);
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
      const before = await appealCount();
      const agent = appealAgent();
      await agent.request(`${app.url}/recovery/appeal/natural`);
      const form = multipart('', naturalFields(), await bothPhotos());
      const response = await agent.request(`${app.url}/recovery/appeal/natural`, { multipart: form });
      expect(response.status).toBe(403);
      expect(await appealCount()).toBe(before);
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
});
