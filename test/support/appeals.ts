/**
 * Helpers for the appeal tests (申诉找回密码): agents with an address of their own, the 'appeal'
 * SMS code read from the outbox, the two forms posted as a browser posts them (multipart), and
 * appeals filed through the service for the review tests.
 */
import type { Appeal } from '../../src/flows/appeal/appeal.rules.js';
import { uniqueIp } from './accounts.js';
import { uniqueName, uniqueResidentId } from './identities.js';
import { plainImage } from './review.js';
import { outboxCode } from './sms-outbox.js';
import { uniqueMobile, type TestApp } from './test-app.js';
import { hiddenInput, UserAgent } from './user-agent.js';

/** Every captcha accepts this answer in the appeal tests (CAPTCHA_TEST_ANSWER). */
export const CAPTCHA_ANSWER = 'pass-appeal';

/** The app settings the appeal tests run with: an address per agent, captchas they can answer. */
export const APPEAL_TEST_ENV = { TRUST_PROXY: 'true', CAPTCHA_TEST_ANSWER: CAPTCHA_ANSWER, ADDRESS_LOGIN_FAILURES: '100000' };

export const appealAgent = (ip = uniqueIp()) => new UserAgent({ 'x-forwarded-for': ip, 'accept-language': 'zh-CN' });

/** 获取验证码 as the page's script asks it (JSON, captcha answered); returns the code from the outbox. */
export async function requestAppealCode(app: TestApp, agent: UserAgent, mobile: string): Promise<string> {
  const challenge = JSON.parse((await agent.request(`${app.url}/captcha/sms`, { headers: { accept: 'application/json' } })).body) as { id: string; csrf: string };
  const sent = await agent.request(`${app.url}/sms/code`, {
    json: { mobile, purpose: 'appeal', captchaId: challenge.id, captcha: CAPTCHA_ANSWER },
    headers: { accept: 'application/json', 'x-csrf-token': challenge.csrf },
  });
  if (sent.status !== 200) throw new Error(`code request refused: ${sent.status} ${sent.body}`);
  return outboxCode(app, mobile);
}

export type Part = { bytes: Buffer; filename: string; type?: string };
export type Photos = { front?: Part; back?: Part };

export const jpeg = async (filename = 'front.jpg'): Promise<Part> => ({ bytes: await plainImage('jpeg'), filename, type: 'image/jpeg' });
export const png = async (filename = 'back.png'): Promise<Part> => ({ bytes: await plainImage('png'), filename, type: 'image/png' });
export const bothPhotos = async (): Promise<Photos> => ({ front: await jpeg(), back: await png() });

/** The natural form's fields, all valid; `smsCode` a placeholder until a code is sent. */
export function naturalFields(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    name: uniqueName(),
    identityType: 'mainland',
    documentType: 'resident_id',
    documentNumber: uniqueResidentId(),
    mobile: uniqueMobile(),
    smsCode: '000000',
    ...overrides,
  };
}

/** The legal form's fields, all valid (orgName as searched). */
export function legalFields(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    orgName: `${uniqueName()}科技有限公司`,
    orgType: 'enterprise',
    uscc: '',
    agentName: uniqueName(),
    agentIdentityType: 'mainland',
    agentDocumentType: 'resident_id',
    agentDocumentNumber: uniqueResidentId(),
    agentMobile: uniqueMobile(),
    email: 'agent@example.com',
    reason: '原主代办人离职，预留手机号已停用。',
    smsCode: '000000',
    ...overrides,
  };
}

/** A multipart body as a browser sends the form: its hidden fields, the text fields, the photos. */
export function multipart(page: string, fields: Record<string, string>, photos: Photos, action = 'submit'): FormData {
  const form = new FormData();
  form.set('csrf', hiddenInput(page, 'csrf') ?? '');
  form.set('captchaId', hiddenInput(page, 'captchaId') ?? '');
  const orgToken = hiddenInput(page, 'orgToken');
  if (orgToken) form.set('orgToken', orgToken);
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  for (const [name, part] of Object.entries(photos)) if (part) form.set(name, new Blob([part.bytes], { type: part.type ?? 'image/jpeg' }), part.filename);
  form.set('action', action);
  return form;
}

/** Opens the natural form and posts it; `code` (the default: a fresh one) is the SMS code to give. */
export async function postNaturalAppeal(app: TestApp, agent: UserAgent, fields: Record<string, string>, photos: Photos, options: { code?: string | null } = {}) {
  const page = await agent.request(`${app.url}/recovery/appeal/natural`);
  const code = options.code === undefined ? await requestAppealCode(app, agent, fields.mobile!) : options.code;
  const body = multipart(page.body, { ...fields, ...(code === null ? {} : { smsCode: code }) }, photos);
  return agent.request(`${app.url}/recovery/appeal/natural`, { multipart: body });
}

/** 检索单位 for `orgName` (captcha answered); the response is the form, or the search page refused. */
export async function searchUnit(app: TestApp, agent: UserAgent, orgName: string, captcha = CAPTCHA_ANSWER) {
  const page = await agent.request(`${app.url}/recovery/appeal/legal`);
  return agent.request(`${app.url}/recovery/appeal/legal/search`, {
    form: { csrf: hiddenInput(page.body, 'csrf') ?? '', captchaId: hiddenInput(page.body, 'captchaId') ?? '', orgName, captcha },
  });
}

/** Searches the unit, then posts the legal form from the page the search gave. */
export async function postLegalAppeal(app: TestApp, agent: UserAgent, fields: Record<string, string>, photos: Photos, options: { code?: string | null } = {}) {
  const form = await searchUnit(app, agent, fields.orgName!);
  if (form.status !== 200) throw new Error(`search refused: ${form.status}`);
  const code = options.code === undefined ? await requestAppealCode(app, agent, fields.agentMobile!) : options.code;
  const body = multipart(form.body, { ...fields, ...(code === null ? {} : { smsCode: code }) }, photos);
  return agent.request(`${app.url}/recovery/appeal/legal`, { multipart: body });
}

/** The case number on 等待审核 (after following the redirect). */
export async function submittedCaseNumber(app: TestApp, agent: UserAgent): Promise<string> {
  const page = await agent.request(`${app.url}/recovery/appeal/submitted`);
  const number = /data-case-number>(SS\d{14})</.exec(page.body)?.[1];
  if (!number) throw new Error(`no case number on ${page.status} ${page.body.slice(0, 200)}`);
  return number;
}

/** Files an appeal through the service, as the routes do after their checks: for the review tests. */
export async function fileAppeal(app: TestApp, appeal: Appeal, ip = uniqueIp()): Promise<{ caseId: string; caseNumber: string }> {
  const { smsCodes, uploads, appeals } = app.context;
  const mobile = appeal.kind === 'natural' ? appeal.person.mobile : appeal.mainAgent.mobile;
  await smsCodes.requestCode({ mobile, purpose: 'appeal', ip });
  const images = { front: await uploads.check({ bytes: await plainImage('jpeg') }), back: await uploads.check({ bytes: await plainImage('png') }) };
  return appeals.submit({ appeal, images, smsCode: await outboxCode(app, mobile), ip });
}

/** A person as an appeal names them. */
export function appealPerson(overrides: Partial<{ name: string; mobile: string; documentNumber: string }> = {}) {
  return {
    name: overrides.name ?? uniqueName(),
    mobile: overrides.mobile ?? uniqueMobile(),
    identityType: 'mainland' as const,
    documentType: 'resident_id' as const,
    documentNumber: overrides.documentNumber ?? uniqueResidentId(),
  };
}
