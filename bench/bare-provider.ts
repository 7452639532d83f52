/**
 * The baseline: a bare oidc-provider with its default in-memory adapter, run as its own process by
 * bench/run.ts. It gets the same client metadata our server hands to oidc-provider, PKCE required,
 * `code` only, the same TTLs, refresh-token rotation, an RS256 key, and the same first-party grant
 * loading (so both OPs walk the same number of steps). Its login is devInteractions, which accepts
 * any login name and password: the baseline does no password hashing and touches no database.
 *
 * Environment: PORT, BARE_CLIENTS_FILE (JSON array of client metadata), BARE_FIRST_PARTY (JSON array
 * of client ids), BARE_TTL (JSON, as Settings['ttl']).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import Provider, { type ClientMetadata, type Configuration, type JWK } from 'oidc-provider';

const port = Number(process.env.PORT);
if (!port) throw new Error('PORT is required');
const clients = JSON.parse(fs.readFileSync(process.env.BARE_CLIENTS_FILE!, 'utf8')) as ClientMetadata[];
const firstParty = new Set(JSON.parse(process.env.BARE_FIRST_PARTY ?? '[]') as string[]);
const ttl = JSON.parse(process.env.BARE_TTL!) as Record<
  'session' | 'interaction' | 'authorizationCode' | 'accessToken' | 'idToken' | 'refreshToken',
  number
>;

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const kid = crypto.randomBytes(12).toString('base64url');
const jwk = { ...(privateKey.export({ format: 'jwk' }) as JWK), kid, alg: 'RS256', use: 'sig' } as JWK;

const configuration: Configuration = {
  clients,
  jwks: { keys: [jwk] },
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  pkce: { required: () => true },
  responseTypes: ['code'],
  allowOmittingSingleRegisteredRedirectUri: false,
  scopes: ['openid', 'offline_access', 'profile'],
  clientDefaults: {
    grant_types: ['authorization_code'],
    response_types: ['code'],
    id_token_signed_response_alg: 'RS256',
    token_endpoint_auth_method: 'client_secret_basic',
  },
  features: {
    devInteractions: { enabled: true },
    revocation: { enabled: true },
    userinfo: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  async loadExistingGrant(ctx) {
    const { oidc } = ctx;
    const clientId = oidc.client!.clientId;
    const grantId = oidc.result?.consent?.grantId ?? oidc.session!.grantIdFor(clientId);
    const existing = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
    if (!firstParty.has(clientId)) return existing;
    const grant = existing ?? new oidc.provider.Grant({ clientId, accountId: oidc.session!.accountId! });
    grant.addOIDCScope(oidc.requestParamOIDCScopes ? [...oidc.requestParamOIDCScopes].join(' ') : 'openid');
    if (oidc.requestParamClaims) grant.addOIDCClaims([...oidc.requestParamClaims]);
    await grant.save();
    if (!existing) oidc.session!.grantIdFor(clientId, grant.jti);
    return grant;
  },
  ttl: {
    Session: ttl.session,
    Interaction: ttl.interaction,
    AuthorizationCode: ttl.authorizationCode,
    AccessToken: ttl.accessToken,
    IdToken: ttl.idToken,
    RefreshToken: ttl.refreshToken,
    Grant: ttl.refreshToken,
  },
  rotateRefreshToken: true,
  expiresWithSession: async (_ctx, token) => !token.scopes.has('offline_access'),
};

const provider = new Provider(`http://127.0.0.1:${port}`, configuration);
provider.on('server_error', (_ctx, error) => console.error('bare provider server_error', error));
const server = http.createServer(provider.callback());
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1');

const shutdown = () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(1), 5_000).unref();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
