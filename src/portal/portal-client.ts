import type { ClientRegistry, RelyingParty } from '../oidc/clients.js';

export const PORTAL_CLIENT_ID = 'portal';

/** The business systems: every relying party but the portal itself, in the order of the clients file. */
export function businessSystems(clients: ClientRegistry): RelyingParty[] {
  return [...clients.relyingParties.values()].filter((rp) => rp.clientId !== PORTAL_CLIENT_ID);
}

export interface PortalClient {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  postLogoutRedirectUri: string;
  backchannelLogoutUri: string;
}

/**
 * The portal signs its users in through the OP like any business system (so single sign-on holds
 * between them), as a first-party client registered here rather than in the clients file.
 */
export function registerPortalClient(clients: ClientRegistry, issuer: string, clientSecret: string): PortalClient {
  const portal: PortalClient = {
    clientId: PORTAL_CLIENT_ID,
    clientSecret,
    redirectUri: `${issuer}/portal/callback`,
    postLogoutRedirectUri: `${issuer}/`,
    backchannelLogoutUri: `${issuer}/portal/backchannel-logout`,
  };
  if (clients.relyingParties.has(PORTAL_CLIENT_ID)) throw new Error(`client_id "${PORTAL_CLIENT_ID}" is reserved for the portal`);
  clients.metadata.push({
    client_id: portal.clientId,
    client_secret: portal.clientSecret,
    client_name: '科技部政务服务平台',
    redirect_uris: [portal.redirectUri],
    post_logout_redirect_uris: [portal.postLogoutRedirectUri],
    backchannel_logout_uri: portal.backchannelLogoutUri,
    backchannel_logout_session_required: true,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  });
  const relyingParty: RelyingParty = {
    clientId: PORTAL_CLIENT_ID,
    name: { 'zh-CN': '科技部政务服务平台', en: 'MOST Government Service Platform' },
    firstParty: true,
    policy: { accountKinds: ['natural', 'legal'], realNameRequired: false, entityAuthorizationRequired: false },
  };
  clients.relyingParties.set(PORTAL_CLIENT_ID, relyingParty);
  return portal;
}
