/** Login-name rules (SPEC §1): one namespace for natural and legal accounts, compared case-insensitively. */

export const LOGIN_NAME_MIN_LENGTH = 4;
export const LOGIN_NAME_MAX_LENGTH = 64;

export type LoginNameValidation =
  | { ok: true; normalized: string }
  | { ok: false; reason: 'length' | 'characters' };

/**
 * Characters are checked before length, so that a name such as "张三" is told about its
 * characters rather than asked to grow longer.
 */
export function validateLoginName(value: string): LoginNameValidation {
  const name = value.trim();
  if (!/^[A-Za-z0-9_]*$/.test(name)) return { ok: false, reason: 'characters' };
  if (name.length < LOGIN_NAME_MIN_LENGTH || name.length > LOGIN_NAME_MAX_LENGTH) return { ok: false, reason: 'length' };
  return { ok: true, normalized: name };
}

/** The key that makes "Alice" and "alice" the same name, for unique indexes and lookups. */
export function loginNameKey(value: string): string {
  return value.trim().toLowerCase();
}
