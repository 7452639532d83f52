import { normalizeMobile } from '../../accounts/identity-documents.js';
import { ValidationError } from '../../errors.js';
import type { VerificationOutcome } from '../../verification/verification.service.js';
import type { FieldProblems } from './registration.rules.js';

export type { VerificationOutcome };

/** What registration needs of the SMS code service. */
export interface RegistrationSmsCodes {
  verifyCode(input: { mobile: string; purpose: 'register'; code: string }): Promise<void>;
}

export interface LoginNames {
  loginNameTaken(loginName: string): Promise<boolean>;
}

/**
 * The gate both registrations pass before an account is stored: every field's problem, a taken login
 * name included, is told first — a refused form must not spend the SMS code — and only then is the
 * code of the mobile (a person's own, or a unit's main agent's) checked and spent.
 */
export async function acceptRegistration(
  fields: FieldProblems,
  form: { loginName: string; mobile: string; smsCode: string },
  deps: { loginNames: LoginNames; smsCodes: RegistrationSmsCodes },
): Promise<void> {
  if (!fields.loginName && (await deps.loginNames.loginNameTaken(form.loginName))) fields.loginName = 'account.error.login_name_taken';
  if (Object.keys(fields).length) throw new ValidationError(fields);
  await deps.smsCodes.verifyCode({ mobile: normalizeMobile(form.mobile), purpose: 'register', code: form.smsCode.trim() });
}
