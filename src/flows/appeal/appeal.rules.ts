import crypto from 'node:crypto';
import type { OrgType } from '../../accounts/account.types.js';
import { validateUscc } from '../../accounts/identity-documents.js';
import { checkPerson, prefixFields, type Person, type PersonBlockFields } from '../../accounts/person-block.rules.js';
import type { MessageKey } from '../../i18n/index.js';
import { ORG_TYPES } from '../registration/legal-registration.rules.js';

/** 自然人申诉找回密码 as submitted: the person, the new mobile the SMS code proves, the code. */
export const NATURAL_APPEAL_FIELDS = ['name', 'identityType', 'documentType', 'documentNumber', 'mobile', 'smsCode'] as const;
export type NaturalAppealForm = Record<(typeof NATURAL_APPEAL_FIELDS)[number], string>;

/** 单位法人用户申诉找回密码 as submitted: the unit, its main agent (agent…), contact, reason, the code. */
export const LEGAL_APPEAL_FIELDS = [
  'orgName', 'orgType', 'uscc',
  'agentName', 'agentIdentityType', 'agentDocumentType', 'agentDocumentNumber', 'agentMobile',
  'email', 'reason', 'smsCode',
] as const;
export type LegalAppealForm = Record<(typeof LEGAL_APPEAL_FIELDS)[number], string>;

/** A person's appeal: who they are, and the mobile that is to become the account's reserved mobile. */
export interface NaturalAppeal {
  kind: 'natural';
  person: Person;
}

/** A unit's appeal: the unit, its main agent (whose mobile gets the answer), how to reach them, why. */
export interface LegalAppeal {
  kind: 'legal';
  orgName: string;
  orgType: OrgType;
  uscc: string;
  mainAgent: Person;
  email: string;
  reason: string;
}

export type Appeal = NaturalAppeal | LegalAppeal;

/** Who gets the SMS code and, later, the decision. */
export const appealMobile = (appeal: Appeal): string => (appeal.kind === 'natural' ? appeal.person.mobile : appeal.mainAgent.mobile);
/** The person whose document the images show. */
export const appellant = (appeal: Appeal): Person => (appeal.kind === 'natural' ? appeal.person : appeal.mainAgent);

export const ORG_NAME_MAX = 100;
export const REASON_MAX = 500;
const EMAIL_MAX = 100;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

type Checked<A> = { ok: true; appeal: A } | { ok: false; fields: Record<string, MessageKey> };

/** 单位名称 as 检索单位 takes it: required, at most 100 characters. */
export function checkOrgName(orgName: string): MessageKey | undefined {
  const name = orgName.trim();
  if (!name) return 'account.error.org_name_required';
  if ([...name].length > ORG_NAME_MAX) return 'account.error.org_name_too_long';
  return undefined;
}

/** The code is checked (and spent) last; its shape is told with the other fields. */
function checkCodeShape(code: string, fields: Record<string, MessageKey>): void {
  if (!/^\d{6}$/.test(code.trim())) fields.smsCode = 'sms.error.code_format';
}

/** Every field's problem at once (SPEC §1, §7), or the appeal, normalised. */
export function checkNaturalAppeal(form: NaturalAppealForm, today: Date): Checked<NaturalAppeal> {
  const fields: PersonBlockFields = {};
  const person = checkPerson(form, today, fields);
  const problems: Record<string, MessageKey> = { ...(fields as Record<string, MessageKey>) };
  checkCodeShape(form.smsCode, problems);
  return Object.keys(problems).length ? { ok: false, fields: problems } : { ok: true, appeal: { kind: 'natural', person } };
}

/** Every field's problem at once, or the appeal, normalised. The main agent's fields are agent…. */
export function checkLegalAppeal(form: LegalAppealForm, today: Date): Checked<LegalAppeal> {
  const problems: Record<string, MessageKey> = {};
  const orgNameProblem = checkOrgName(form.orgName);
  if (orgNameProblem) problems.orgName = orgNameProblem;

  const orgType = ORG_TYPES.find((value) => value === form.orgType);
  if (!orgType) problems.orgType = 'legal_register.error.org_type';

  const uscc = validateUscc(form.uscc);
  if (!form.uscc.trim()) problems.uscc = 'legal_register.error.uscc_required';
  else if (!uscc.ok) problems.uscc = `account.error.uscc_${uscc.reason}`;

  const agentFields: PersonBlockFields = {};
  const mainAgent = checkPerson(
    { name: form.agentName, identityType: form.agentIdentityType, documentType: form.agentDocumentType, documentNumber: form.agentDocumentNumber, mobile: form.agentMobile },
    today,
    agentFields,
  );
  Object.assign(problems, prefixFields('agent', agentFields));

  const email = form.email.trim();
  if (!email) problems.email = 'appeal.error.email_required';
  else if (email.length > EMAIL_MAX || !EMAIL.test(email)) problems.email = 'account.error.email_invalid';

  const reason = form.reason.trim();
  if (!reason) problems.reason = 'appeal.error.reason_required';
  else if ([...reason].length > REASON_MAX) problems.reason = 'appeal.error.reason_too_long';

  checkCodeShape(form.smsCode, problems);
  if (Object.keys(problems).length || !orgType || !uscc.ok) return { ok: false, fields: problems };
  return { ok: true, appeal: { kind: 'legal', orgName: form.orgName.trim(), orgType, uscc: uscc.normalized, mainAgent, email, reason } };
}

const CHINA_OFFSET_MS = 8 * 3600_000;

/**
 * 申诉编号: `SS` + the Beijing date + 6 random digits, e.g. SS20261129042137. Short enough to read
 * out on the phone; the status page asks the mobile with it, so the number alone opens nothing.
 */
export function newCaseNumber(now: Date): string {
  const day = new Date(now.getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 10).replaceAll('-', '');
  return `SS${day}${String(crypto.randomInt(0, 1_000_000)).padStart(6, '0')}`;
}

/** A case number as typed (spaces, lower case) in its stored form, or undefined when it cannot be one. */
export function normalizeCaseNumber(typed: string): string | undefined {
  const compact = typed.replace(/\s/g, '').toUpperCase();
  return /^SS\d{14}$/.test(compact) ? compact : undefined;
}
