/** Password policy and strength meter (SPEC §1). The pages' meter mirrors `countCharacterClasses`. */

export const PASSWORD_MIN_LENGTH = 8;
// argon2 hashes the whole input, so an unbounded password lets one request buy a lot of CPU.
export const PASSWORD_MAX_LENGTH = 128;
export const PASSWORD_MIN_CLASSES = 3;
export const STRONG_PASSWORD_MIN_LENGTH = 12;

export type PasswordProblem = 'too_short' | 'too_few_classes' | 'equals_login_name' | 'too_long';
export type PasswordStrength = 'weak' | 'medium' | 'strong';

export interface PasswordCheck {
  ok: boolean;
  problems: PasswordProblem[];
  strength: PasswordStrength;
}

/**
 * How many of the four classes (upper case, lower case, digit, symbol) the password uses.
 * Anything that is not an ASCII letter or digit counts as a symbol, so full-width punctuation
 * typed with a Chinese input method counts too. Written plainly so a browser script can copy it.
 */
export function countCharacterClasses(password: string): number {
  let hasUpper = false;
  let hasLower = false;
  let hasDigit = false;
  let hasSymbol = false;
  for (const character of password) {
    if (character >= 'A' && character <= 'Z') hasUpper = true;
    else if (character >= 'a' && character <= 'z') hasLower = true;
    else if (character >= '0' && character <= '9') hasDigit = true;
    else hasSymbol = true;
  }
  return Number(hasUpper) + Number(hasLower) + Number(hasDigit) + Number(hasSymbol);
}

export function checkPassword(password: string, loginName: string): PasswordCheck {
  // Count code points, not UTF-16 units, so a character outside the BMP counts once.
  const length = [...password].length;
  const classes = countCharacterClasses(password);
  const name = loginName.trim();

  const problems: PasswordProblem[] = [];
  if (length < PASSWORD_MIN_LENGTH) problems.push('too_short');
  if (length > PASSWORD_MAX_LENGTH) problems.push('too_long');
  if (classes < PASSWORD_MIN_CLASSES) problems.push('too_few_classes');
  if (name !== '' && password.toLowerCase() === name.toLowerCase()) problems.push('equals_login_name');

  const ok = problems.length === 0;
  let strength: PasswordStrength = 'medium';
  if (!ok) strength = 'weak';
  else if (length >= STRONG_PASSWORD_MIN_LENGTH && classes === 4) strength = 'strong';
  return { ok, problems, strength };
}
