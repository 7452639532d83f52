import type { credentialLoginZhCN } from './credential-login.zh-CN.js';

export const credentialLoginEn: Record<keyof typeof credentialLoginZhCN, string> = {
  'credential.title': 'Set a new password',
  'credential.intro': 'You signed in with the one-time password sent to you by SMS. To keep your account safe, set a new password first; the sign-in then continues.',
  'credential.not_credential': 'The new password must not be the one-time password either.',
  'credential.submit': 'Set new password and continue',
  'credential.after': 'Once it is set, the one-time password stops working, and every other sign-in on other devices and business systems ends.',
  'credential.invalid': 'The one-time password has expired or has been used: it can no longer set a new password.',
  'credential.invalid_help': 'If you remember your old password, choose “Use another account” and sign in with it; otherwise recover your password again with “Forgot password”.',

  'credential.error.new_password_required': 'Enter a new password',
  'credential.error.confirm_required': 'Enter the new password again',
  'credential.error.same_as_credential': 'The new password must not be the one-time password',
} as const;
