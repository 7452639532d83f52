import { validateLoginName } from '../../accounts/login-name.js';
import { checkPassword } from '../../accounts/password-policy.js';
import type { MessageKey } from '../../i18n/index.js';

/** The fields both registration forms (自然人 / 法人) share: the account and the SMS code. */
export interface AccountFieldsForm {
  loginName: string;
  password: string;
  confirmPassword: string;
  smsCode: string;
}

export type FieldProblems = Partial<Record<string, MessageKey>>;

/** SPEC §1 and §3: login name, password twice, and a code of 6 digits. */
export function checkAccountFields(form: AccountFieldsForm): FieldProblems {
  const fields: FieldProblems = {};
  const loginName = validateLoginName(form.loginName);
  if (!form.loginName.trim()) fields.loginName = 'login.error.login_name_required';
  else if (!loginName.ok) fields.loginName = `account.error.login_name_${loginName.reason}`;

  const password = checkPassword(form.password, form.loginName);
  if (!form.password) fields.password = 'login.error.password_required';
  else if (!password.ok) fields.password = `account.error.password_${password.problems[0]!}`;
  if (form.confirmPassword !== form.password) fields.confirmPassword = 'register.error.confirm_mismatch';

  if (!/^\d{6}$/.test(form.smsCode.trim())) fields.smsCode = 'register.error.sms_code_format';
  return fields;
}
