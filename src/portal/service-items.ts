import type { AccountKind } from '../accounts/account.types.js';
import type { Locale } from '../i18n/index.js';
import type { RelyingParty } from '../oidc/clients.js';

/** One business system as the service items page lists it for a kind of user. */
export interface ServiceItem {
  clientId: string;
  name: string;
  description?: string;
  entryUrl?: string;
  realNameRequired: boolean;
  /** Natural persons use it only as agents of an entity that authorized them. */
  agentsOnly: boolean;
}

/**
 * 服务事项 → 按用户 (SPEC §9): the business systems a kind of user can sign in to, read from each
 * business system's access policy, so the page never promises a system the sign-in would refuse.
 */
export function serviceItemsFor(kind: AccountKind, systems: RelyingParty[], locale: Locale): ServiceItem[] {
  return systems
    .filter((rp) => rp.policy.accountKinds.includes(kind))
    .map((rp) => ({
      clientId: rp.clientId,
      name: rp.name[locale],
      description: rp.description?.[locale],
      entryUrl: rp.entryUrl,
      realNameRequired: rp.policy.realNameRequired,
      agentsOnly: kind === 'natural' && rp.policy.entityAuthorizationRequired,
    }));
}
