import type { AccountKind } from '../../accounts/account.types.js';

/**
 * 登录名重置密码 (SPEC §7) as a stored flow: one record per attempt, bound to the browser that
 * started it, with an explicit state that only moves forward.
 *
 *   GET /recovery/reset
 *        │ create
 *        ▼
 *   ┌────────┐ login name + captcha ┌────────┐ mobile (+ unit, USCC), new password, SMS code ┌──────┐
 *   │ lookup │─────────────────────▶│ verify │──────────────────────────────────────────────▶│ done │
 *   └────────┘                      └────────┘                                               └──────┘
 *    bad input stays                 获取验证码 and refusals stay                          the done page only
 *
 *   Every state ends at expires_at (the injected clock): an expired flow is gone, whatever its state.
 *
 * A step posted to a flow in another state (step 2 on a flow still in lookup, anything on a done
 * flow) is refused and changes nothing; the transitions are compare-and-set on the state.
 */
export const RESET_STATES = ['lookup', 'verify', 'done'] as const;
export type ResetState = (typeof RESET_STATES)[number];

/** How long a flow lives from its creation, and again from the login name's lookup. */
export const RESET_FLOW_TTL_SECONDS = 15 * 60;

/**
 * Private: never shown, never sent to the browser. An unknown login name goes on like a natural
 * account with `accountId: null`, so the pages cannot tell the two apart.
 */
export interface ResetContext {
  loginName?: string;
  accountId?: string | null;
  /** The form step 2 shows: a legal account's asks for the unit as well. */
  kind?: AccountKind;
}

export interface PasswordResetFlow {
  id: string;
  state: ResetState;
  /** The sign-in to resume when done (safeReturnPath), or null for the portal. */
  returnTo: string | null;
  context: ResetContext;
  expiresAt: Date;
}
