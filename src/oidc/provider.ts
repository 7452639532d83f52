import Provider, { type Configuration, type KoaContextWithOIDC, type JWK } from 'oidc-provider';
import type { AccountRepository } from '../accounts/account.repository.js';
import { accessPolicy, validateEntityParameter } from '../access/access-policy.js';
import type { ActForClaim, EntityChoiceService } from '../access/entity-choice.service.js';
import type { Db } from '../db/database.js';
import { requirePasswordChange } from '../flows/credential-login/change-password.policy.js';
import { renderTemplate, switchLanguageUrl } from '../http/render.js';
import { DEFAULT_LOCALE, translator, type Locale, type MessageKey } from '../i18n/index.js';
import type { Logger } from '../logger.js';
import type { Settings } from '../settings.js';
import { accountClaims, CLAIMS_BY_SCOPE, SCOPES } from './claims.js';
import type { ClientRegistry } from './clients.js';
import { knexAdapterFactory } from './knex-adapter.js';

export interface ProviderDeps {
  settings: Settings;
  db: Db;
  accounts: AccountRepository;
  clients: ClientRegistry;
  jwks: { keys: JWK[] };
  cookieKeys: string[];
  logger: Logger;
  entityChoice: EntityChoiceService;
}

/** OAuth error codes we explain in the user's words; others get a generic sentence. */
const errorMessages: Record<string, MessageKey> = {
  invalid_redirect_uri: 'error.oidc.invalid_redirect_uri',
  invalid_client: 'error.oidc.invalid_client',
  invalid_request: 'error.oidc.invalid_request',
  access_denied: 'error.oidc.access_denied',
  session_not_found: 'error.session_expired',
};

function pageLocale(ctx: KoaContextWithOIDC): Locale {
  return (ctx.state.locale as Locale | undefined) ?? DEFAULT_LOCALE;
}

function chrome(ctx: KoaContextWithOIDC, settings: Settings) {
  const locale = pageLocale(ctx);
  return {
    t: translator(locale),
    locale,
    supportPhone: settings.supportPhone,
    requestId: ctx.state.requestId,
    languageUrl: switchLanguageUrl(ctx, locale),
  };
}

function clientName(clients: ClientRegistry, clientId: string | undefined, locale: Locale): string | undefined {
  return clientId ? clients.relyingParties.get(clientId)?.name[locale] : undefined;
}

/** The whole OP is this one configuration object (node-oidc-provider's design). */
export function createProvider(deps: ProviderDeps): Provider {
  const { settings, db, accounts, clients, jwks, cookieKeys, logger, entityChoice } = deps;
  const { ttl } = settings;

  const configuration: Configuration = {
    adapter: knexAdapterFactory(db),
    clients: clients.metadata,
    jwks,
    cookies: {
      keys: cookieKeys,
      long: { httpOnly: true, sameSite: 'lax', secure: settings.production },
      short: { httpOnly: true, sameSite: 'lax', secure: settings.production },
    },
    pkce: { required: () => true },
    responseTypes: ['code'],
    // An RP must always say where to return; oidc-provider then matches it exactly.
    allowOmittingSingleRegisteredRedirectUri: false,
    scopes: [...SCOPES],
    claims: { ...CLAIMS_BY_SCOPE, openid: [...CLAIMS_BY_SCOPE.openid] } as unknown as Configuration['claims'],
    // RPs read the claims of their scopes straight from the ID token, not only from userinfo.
    conformIdTokenClaims: false,
    extraParams: { login_type: null, entity: validateEntityParameter },
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'RS256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          ctx.type = 'html';
          ctx.body = renderTemplate('logout', {
            ...chrome(ctx, settings),
            form,
            clientName: clientName(clients, ctx.oidc.client?.clientId, pageLocale(ctx)),
          });
        },
        async postLogoutSuccessSource(ctx) {
          ctx.type = 'html';
          ctx.body = renderTemplate('logged-out', {
            ...chrome(ctx, settings),
            clientName: clientName(clients, ctx.oidc.client?.clientId, pageLocale(ctx)),
          });
        },
      },
    },
    interactions: {
      policy: requirePasswordChange(accessPolicy({ clients, entityChoice })),
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    /**
     * `profile` is the account for the access policy's checks. With a token, the entity its grant
     * acts for: a code or refresh token whose authorization has ended since is refused (the token
     * endpoint answers invalid_grant); an access token keeps its other claims, without act_for.
     */
    async findAccount(ctx, sub, token) {
      const account = await accounts.findClaimsAccount(sub);
      if (!account || account.status === 'disabled') return undefined;
      let actFor: ActForClaim | undefined;
      if (token?.grantId && token.clientId && account.kind === 'natural') {
        const acting = await entityChoice.actingFor(token.grantId, account.id, token.clientId);
        if (acting.state === 'effective') actFor = acting.claim;
        if (acting.state === 'ended' && token.kind !== 'AccessToken') {
          await entityChoice.recordRefusal(
            { accountId: account.id, clientId: token.clientId, reason: 'authorization_ended', details: { token: token.kind } },
            { ip: ctx.ip, requestId: ctx.state.requestId as string | undefined },
          );
          return undefined;
        }
      }
      return {
        accountId: account.id,
        profile: account,
        claims: async () => ({ ...accountClaims(account), sub: account.id, ...(actFor ? { act_for: actFor } : {}) }),
      };
    },
    /**
     * First-party business systems never show a consent page: their grant is made (and topped up
     * with newly requested scopes) here.
     */
    async loadExistingGrant(ctx) {
      const { oidc } = ctx;
      const clientId = oidc.client!.clientId;
      const grantId = oidc.result?.consent?.grantId ?? oidc.session!.grantIdFor(clientId);
      const existing = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
      if (!clients.relyingParties.get(clientId)?.firstParty) return existing;
      const grant = existing ?? new oidc.provider.Grant({ clientId, accountId: oidc.session!.accountId! });
      grant.addOIDCScope(oidc.requestParamOIDCScopes ? [...oidc.requestParamOIDCScopes].join(' ') : 'openid');
      if (oidc.requestParamClaims) grant.addOIDCClaims([...oidc.requestParamClaims]);
      await grant.save();
      if (!existing) oidc.session!.grantIdFor(clientId, grant.jti);
      return grant;
    },
    async renderError(ctx, out, error) {
      const key = errorMessages[out.error] ?? 'error.oidc.generic';
      const status = (error as { statusCode?: number }).statusCode ?? 400;
      if (status >= 500) logger.error({ err: error, requestId: ctx.state.requestId }, 'provider error');
      ctx.type = 'html';
      ctx.body = renderTemplate('error', {
        ...chrome(ctx, settings),
        message: translator(pageLocale(ctx))(status >= 500 ? 'error.internal' : key, { requestId: ctx.state.requestId ?? '' }),
        code: out.error,
        // oidc-provider's English description, for the RP's administrator (not translated).
        detail: status >= 500 ? undefined : out.error_description,
      });
    },
    ttl: {
      Session: ttl.session,
      Interaction: ttl.interaction,
      AuthorizationCode: ttl.authorizationCode,
      AccessToken: ttl.accessToken,
      IdToken: ttl.idToken,
      RefreshToken: ttl.refreshToken,
      // A grant must outlive the refresh tokens issued from it.
      Grant: ttl.refreshToken,
    },
    /*
     * oidc-provider's outgoing requests are only back-channel logouts to URIs from the operator's
     * clients file, which on government networks are intranet addresses: its guard against
     * special-use addresses (an SSRF defence for dynamically registered clients) does not apply.
     */
    fetch: (url, options) => {
      const { dispatcher: _ssrfGuard, ...rest } = options as RequestInit & { dispatcher?: unknown };
      return globalThis.fetch(url, rest);
    },
    // Every refresh rotates the token; replaying a used one revokes the whole grant.
    rotateRefreshToken: true,
    expiresWithSession: async (_ctx, token) => !token.scopes.has('offline_access'),
  };

  const provider = new Provider(settings.issuer, configuration);
  provider.proxy = settings.trustProxy;
  provider.on('server_error', (ctx, error) => logger.error({ err: error, requestId: ctx.state?.requestId }, 'provider server error'));
  provider.on('backchannel.error', (...args: unknown[]) => {
    const [, error, client] = args as [unknown, Error, { clientId: string }];
    logger.warn({ err: error, clientId: client.clientId }, 'back-channel logout failed');
  });
  return provider;
}

/**
 * The paths of oidc-provider's machine endpoints, the ones relying parties and libraries call for
 * JSON (never a page a person reads): read from the provider's own route table, so a feature
 * switched on later (introspection, CIBA's /backchannel, ...) joins the list by itself; `pathFor`
 * throws for a route the configuration did not register. The two discovery documents have fixed
 * paths in oidc-provider. `mountPath: ''`: the provider is mounted at the root of our app.
 * Page routes (/auth, /session/end, ...) are deliberately not here.
 */
export function machineEndpointPaths(provider: Provider): Set<string> {
  const paths = new Set(['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']);
  const routes = [
    'jwks',
    'token',
    'revocation',
    'introspection',
    'userinfo',
    'pushed_authorization_request',
    'backchannel_authentication',
    'device_authorization',
    'challenge',
    'credential',
  ];
  for (const route of routes) {
    try {
      paths.add(provider.pathFor(route, { mountPath: '' }));
    } catch {
      // not enabled in our configuration
    }
  }
  return paths;
}
