import type { OrgType, RegistrationRegion } from '../../accounts/account.types.js';
import { validateUscc } from '../../accounts/identity-documents.js';
import { checkPersonBlock, PERSON_BLOCK_FIELDS, prefixFields, type PersonBlockField, type PersonBlockInput } from '../../accounts/person-block.rules.js';
import { checkAccountFields, type FieldProblems } from './registration.rules.js';

export const REGISTRATION_REGIONS: readonly RegistrationRegion[] = ['domestic', 'hmt', 'foreign'];
export const ORG_TYPES: readonly OrgType[] = ['enterprise', 'social_organization', 'public_institution', 'other'];

/** The two person blocks of the form: 法定代表人 (rep…) and 主代办人 (agent…). */
export const PERSON_PREFIXES = ['rep', 'agent'] as const;
export type PersonPrefix = (typeof PERSON_PREFIXES)[number];

type PrefixedField<P extends string> = `${P}${Capitalize<PersonBlockField>}`;
const prefixed = <P extends PersonPrefix>(prefix: P, field: PersonBlockField) =>
  `${prefix}${field[0]!.toUpperCase()}${field.slice(1)}` as PrefixedField<P>;

/** The legal-entity registration form (单位用户（法人）注册), as submitted. */
export type LegalRegistrationForm = Record<
  | 'loginName'
  | 'password'
  | 'confirmPassword'
  | 'orgName'
  | 'registrationRegion'
  | 'orgType'
  | 'uscc'
  | 'registrationNumber'
  | PrefixedField<PersonPrefix>
  | 'smsCode'
  | 'agreement',
  string
>;

export const LEGAL_REGISTRATION_FIELDS: ReadonlyArray<keyof LegalRegistrationForm> = [
  'loginName', 'password', 'confirmPassword', 'orgName', 'registrationRegion', 'orgType', 'uscc', 'registrationNumber',
  ...PERSON_PREFIXES.flatMap((prefix) => PERSON_BLOCK_FIELDS.map((field) => prefixed(prefix, field))),
  'smsCode', 'agreement',
];

/** The form's `rep…` or `agent…` fields as a person block for checkPersonBlock and the account service. */
export function personBlockInput(form: Partial<LegalRegistrationForm>, prefix: PersonPrefix): PersonBlockInput {
  return Object.fromEntries(PERSON_BLOCK_FIELDS.map((field) => [field, form[prefixed(prefix, field)] ?? ''])) as PersonBlockInput;
}

const MAX_REGISTRATION_NUMBER = 50;

/**
 * Every field's problem at once (SPEC §1, §3), before anything is stored or any code is checked.
 * A domestic unit gives its USCC (GB 32100), an HMT or foreign unit its own registration number; the
 * other of the two is not looked at. The main agent's mobile is the one the SMS code proves.
 */
export function checkLegalRegistration(form: LegalRegistrationForm, today: Date): FieldProblems {
  const fields = checkAccountFields(form);

  const orgName = form.orgName.trim();
  if (!orgName) fields.orgName = 'account.error.org_name_required';
  else if ([...orgName].length > 100) fields.orgName = 'account.error.org_name_too_long';

  const region = REGISTRATION_REGIONS.find((value) => value === form.registrationRegion);
  if (!region) fields.registrationRegion = 'legal_register.error.region';
  if (!ORG_TYPES.some((value) => value === form.orgType)) fields.orgType = 'legal_register.error.org_type';

  if (region === 'domestic') {
    const uscc = validateUscc(form.uscc);
    if (!form.uscc.trim()) fields.uscc = 'legal_register.error.uscc_required';
    else if (!uscc.ok) fields.uscc = `account.error.uscc_${uscc.reason}`;
  } else if (region) {
    const number = form.registrationNumber.trim();
    if (!number) fields.registrationNumber = 'account.error.registration_number_required';
    else if ([...number].length > MAX_REGISTRATION_NUMBER) fields.registrationNumber = 'profile.error.too_long';
  }

  for (const prefix of PERSON_PREFIXES) {
    const checked = checkPersonBlock(personBlockInput(form, prefix), today);
    if (!checked.ok) Object.assign(fields, prefixFields(prefix, checked.fields));
  }

  if (form.agreement !== 'on') fields.agreement = 'legal_register.error.agreement';
  return fields;
}
