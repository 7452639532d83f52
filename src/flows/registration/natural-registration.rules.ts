import { checkNaturalProfile } from '../../accounts/natural-profile.rules.js';
import { isValidMainlandMobile, normalizeMobile } from '../../accounts/identity-documents.js';
import { validateLoginName } from '../../accounts/login-name.js';
import { checkPassword } from '../../accounts/password-policy.js';
import type { MessageKey } from '../../i18n/index.js';

/** The natural-person registration form (自然人注册), as submitted. */
export interface NaturalRegistrationForm {
  loginName: string;
  password: string;
  confirmPassword: string;
  name: string;
  identityType: string;
  documentType: string;
  documentNumber: string;
  mobile: string;
  smsCode: string;
  agreement: string;
}

export const NATURAL_REGISTRATION_FIELDS: Array<keyof NaturalRegistrationForm> = [
  'loginName', 'password', 'confirmPassword', 'name', 'identityType', 'documentType', 'documentNumber', 'mobile', 'smsCode', 'agreement',
];

export type RegistrationFields = Partial<Record<keyof NaturalRegistrationForm | 'captcha', MessageKey>>;

/** Every field's problem at once (SPEC §3), before anything is stored or any code is checked. */
export function checkNaturalRegistration(form: NaturalRegistrationForm, today: Date): RegistrationFields {
  const fields: RegistrationFields = {};
  const loginName = validateLoginName(form.loginName);
  if (!form.loginName.trim()) fields.loginName = 'login.error.login_name_required';
  else if (!loginName.ok) fields.loginName = `account.error.login_name_${loginName.reason}`;

  const password = checkPassword(form.password, form.loginName);
  if (!form.password) fields.password = 'login.error.password_required';
  else if (!password.ok) fields.password = `account.error.password_${password.problems[0]!}`;
  if (form.confirmPassword !== form.password) fields.confirmPassword = 'register.error.confirm_mismatch';

  // Name and document follow the same rules as My Information; the document is required here.
  const identity = checkNaturalProfile(
    { name: form.name, identityType: form.identityType, documentType: form.documentType, documentNumber: form.documentNumber },
    today,
  );
  if (!identity.ok) Object.assign(fields, identity.fields);
  if (!form.identityType) fields.identityType = 'profile.error.choose_option';
  if (!form.documentNumber.trim() && !fields.documentType) fields.documentNumber = 'profile.error.document_number_required';

  if (!isValidMainlandMobile(normalizeMobile(form.mobile))) fields.mobile = 'account.error.mobile_invalid';
  if (!/^\d{6}$/.test(form.smsCode.trim())) fields.smsCode = 'register.error.sms_code_format';
  if (form.agreement !== 'on') fields.agreement = 'register.error.agreement';
  return fields;
}
