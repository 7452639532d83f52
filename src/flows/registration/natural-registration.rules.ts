import { checkNaturalProfile } from '../../accounts/natural-profile.rules.js';
import { isValidMainlandMobile, normalizeMobile } from '../../accounts/identity-documents.js';
import { checkAccountFields, type FieldProblems } from './registration.rules.js';

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

/** Every field's problem at once (SPEC §3), before anything is stored or any code is checked. */
export function checkNaturalRegistration(form: NaturalRegistrationForm, today: Date): FieldProblems {
  const fields = checkAccountFields(form);

  // Name and document follow the same rules as My Information; the document is required here.
  const identity = checkNaturalProfile(
    { name: form.name, identityType: form.identityType, documentType: form.documentType, documentNumber: form.documentNumber },
    today,
  );
  if (!identity.ok) Object.assign(fields, identity.fields);
  if (!form.identityType) fields.identityType = 'profile.error.choose_option';
  if (!form.documentNumber.trim() && !fields.documentType) fields.documentNumber = 'profile.error.document_number_required';

  if (!isValidMainlandMobile(normalizeMobile(form.mobile))) fields.mobile = 'account.error.mobile_invalid';
  if (form.agreement !== 'on') fields.agreement = 'register.error.agreement';
  return fields;
}
