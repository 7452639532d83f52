import type { ClaimsAccount } from '../accounts/account.types.js';

/**
 * Claims per scope (SPEC §2). `sub` and `account_type` go with `openid`. `act_for` (a natural
 * account acting for an entity) is added by findAccount from the grant's entity selection.
 */
export const CLAIMS_BY_SCOPE = {
  openid: ['sub', 'account_type'],
  profile: ['name', 'preferred_username'],
  phone: ['phone_number', 'phone_number_verified'],
  email: ['email', 'email_verified'],
  real_name: ['real_name_status', 'real_name_verified_at'],
  org: ['uscc', 'org_name', 'org_type', 'registration_region', 'act_for'],
} as const;

export const SCOPES = ['openid', 'offline_access', 'profile', 'phone', 'email', 'real_name', 'org'] as const;

const epochSeconds = (date: Date | null) => (date ? Math.floor(date.getTime() / 1000) : undefined);

/**
 * Every claim the account has; oidc-provider releases only those its scopes and the grant allow.
 * The phone number is E.164, as OIDC asks.
 */
export function accountClaims(account: ClaimsAccount): Record<string, unknown> {
  return {
    sub: account.id,
    account_type: account.kind,
    name: account.natural?.name ?? account.legal?.orgName,
    preferred_username: account.loginName,
    phone_number: `+86${account.mobile}`,
    phone_number_verified: account.mobileVerified,
    email: account.email ?? undefined,
    email_verified: account.email ? account.emailVerified : undefined,
    real_name_status: account.realNameStatus,
    real_name_verified_at: epochSeconds(account.realNameVerifiedAt),
    ...(account.legal
      ? {
          uscc: account.legal.uscc ?? undefined,
          org_name: account.legal.orgName,
          org_type: account.legal.orgType,
          registration_region: account.legal.registrationRegion,
        }
      : {}),
  };
}
