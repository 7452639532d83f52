import type { Account, AccountKind } from '../../accounts/account.types.js';
import { isValidMainlandMobile, normalizeMobile, normalizeUscc } from '../../accounts/identity-documents.js';
import { orgNameKey } from '../../accounts/org-name.js';
import { checkPassword } from '../../accounts/password-policy.js';
import type { MessageKey } from '../../i18n/index.js';

export const RESET_FIELDS = ['mobile', 'password', 'confirmPassword', 'orgName', 'uscc', 'smsCode'] as const;
export type ResetForm = Record<(typeof RESET_FIELDS)[number], string>;

type FieldProblems = Partial<Record<string, MessageKey>>;

/**
 * What step 2 can say about its fields without looking at the account: formats and the password
 * policy only. Whether the mobile, unit or code are the right ones is told in one answer for all.
 */
export function checkResetForm(form: ResetForm, kind: AccountKind, loginName: string): FieldProblems {
  const problems: FieldProblems = {};
  if (!isValidMainlandMobile(form.mobile)) problems.mobile = 'account.error.mobile_invalid';
  const policy = checkPassword(form.password, loginName);
  if (!policy.ok) problems.password = `account.error.password_${policy.problems[0]!}`;
  if (form.password !== form.confirmPassword) problems.confirmPassword = 'register.error.confirm_mismatch';
  if (kind === 'legal') {
    if (!form.orgName.trim()) problems.orgName = 'account.error.org_name_required';
    if (!form.uscc.trim()) problems.uscc = 'recovery.error.uscc_required';
  }
  if (!/^\d{6}$/.test(form.smsCode.trim())) problems.smsCode = 'sms.error.code_format';
  return problems;
}

export type MismatchReason = 'unknown_login_name' | 'disabled' | 'mobile' | 'unit';

/**
 * Why the form does not prove the account (for the audit log only; the user gets one answer), or
 * undefined when it does. A unit gives its USCC, or its registration number when it has none
 * (Hong Kong, Macau, Taiwan and foreign units).
 */
export function mismatchReason(account: Account | undefined, form: ResetForm): MismatchReason | undefined {
  if (!account) return 'unknown_login_name';
  if (account.status === 'disabled') return 'disabled';
  if (normalizeMobile(form.mobile) !== account.mobile) return 'mobile';
  if (account.kind === 'legal') {
    const unit = account.legal;
    const code = normalizeUscc(form.uscc);
    const unitCode = unit?.uscc ?? unit?.registrationNumber ?? null;
    if (!unit || orgNameKey(form.orgName) !== orgNameKey(unit.orgName) || !unitCode || code !== normalizeUscc(unitCode)) return 'unit';
  }
  return undefined;
}
