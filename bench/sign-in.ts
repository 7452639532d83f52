/**
 * A lean browser stand-in for the benchmark: keep-alive HTTP over node:http, a cookie jar per
 * sign-in, and the authorization code flow with PKCE driven through whichever login page the OP
 * shows (ours: csrf + window + loginName + password; oidc-provider's devInteractions: login +
 * password, then its consent form when prompt=consent asks for one).
 * Leaner than fetch so the load generator, which shares the two cores with the servers, costs less.
 */
import crypto from 'node:crypto';
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function httpRequest(
  url: URL,
  options: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    const request = http.request(
      url,
      {
        agent,
        method: options.method ?? 'GET',
        headers: { ...options.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks).toString() }));
        response.on('error', reject);
      },
    );
    request.setTimeout(options.timeoutMs ?? 30_000, () => request.destroy(new Error(`timeout: ${options.method ?? 'GET'} ${url.pathname}`)));
    request.on('error', reject);
    request.end(body);
  });
}

/** Cookies by name and path, sent where the path matches (as a browser would). */
class CookieJar {
  private readonly cookies = new Map<string, { name: string; value: string; path: string }>();

  store(setCookie: string[] | undefined): void {
    for (const header of setCookie ?? []) {
      const [pair, ...attributes] = header.split(';');
      const index = pair!.indexOf('=');
      const name = pair!.slice(0, index).trim();
      const value = pair!.slice(index + 1).trim();
      const path = attributes.map((a) => a.trim()).find((a) => /^path=/i.test(a))?.slice(5) || '/';
      const expired = value === '' || /expires=Thu, 01 Jan 1970/i.test(header) || /max-age=0\b/i.test(header);
      const key = `${name};${path}`;
      if (expired) this.cookies.delete(key);
      else this.cookies.set(key, { name, value, path });
    }
  }

  header(url: URL): string {
    return [...this.cookies.values()]
      .filter((cookie) => url.pathname === cookie.path || url.pathname.startsWith(cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`))
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join('; ');
  }
}

export interface OidcTarget {
  issuer: string;
  authorizationEndpoint: URL;
  tokenEndpoint: URL;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

export async function discover(issuer: string, client: { clientId: string; clientSecret: string; redirectUri: string }): Promise<OidcTarget> {
  const response = await httpRequest(new URL(`${issuer}/.well-known/openid-configuration`));
  if (response.status !== 200) throw new Error(`discovery at ${issuer}: ${response.status}`);
  const metadata = JSON.parse(response.body) as { authorization_endpoint: string; token_endpoint: string };
  return {
    issuer,
    authorizationEndpoint: new URL(metadata.authorization_endpoint),
    tokenEndpoint: new URL(metadata.token_endpoint),
    ...client,
  };
}

export function basicAuth(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
}

export interface Credentials {
  loginName: string;
  password: string;
  window: 'natural' | 'legal';
}

export interface TokenSet {
  access_token: string;
  id_token: string;
  refresh_token?: string;
  scope?: string;
}

const hidden = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];
const formAction = (html: string) => /<form[^>]*action="([^"]*)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');

/**
 * One complete sign-in as a browser and RP would do it: authorize with PKCE S256, the login page,
 * the login POST, the redirects back to the RP, and the code exchange at the token endpoint.
 * `offline` asks for offline_access with prompt=consent (oidc-provider's condition for a refresh token).
 */
export async function signIn(target: OidcTarget, credentials: Credentials, options: { offline?: boolean } = {}): Promise<TokenSet> {
  const jar = new CookieJar();
  const verifier = crypto.randomBytes(32).toString('base64url');
  const state = crypto.randomBytes(16).toString('base64url');
  const authorize = new URL(target.authorizationEndpoint);
  authorize.search = new URLSearchParams({
    client_id: target.clientId,
    redirect_uri: target.redirectUri,
    response_type: 'code',
    scope: options.offline ? 'openid profile offline_access' : 'openid profile',
    state,
    code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...(options.offline ? { prompt: 'consent' } : {}),
  }).toString();

  const send = async (url: URL, form?: Record<string, string>) => {
    const cookie = jar.header(url);
    const response = await httpRequest(url, {
      method: form ? 'POST' : 'GET',
      headers: {
        accept: 'text/html',
        ...(cookie ? { cookie } : {}),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    jar.store(response.headers['set-cookie']);
    return response;
  };

  let url = authorize;
  let response = await send(url);
  let code: string | undefined;
  for (let step = 0; step < 12 && !code; step += 1) {
    if (response.status >= 300 && response.status < 400 && response.headers.location) {
      url = new URL(response.headers.location, url);
      if (url.href.startsWith(target.redirectUri)) {
        if (url.searchParams.get('state') !== state) throw new Error(`state mismatch at the callback: ${url.search}`);
        code = url.searchParams.get('code') ?? undefined;
        if (!code) throw new Error(`no code at the callback: ${url.searchParams.get('error')} ${url.searchParams.get('error_description')}`);
        break;
      }
      response = await send(url);
      continue;
    }
    const action = response.status === 200 ? formAction(response.body) : undefined;
    if (!action) throw new Error(`sign-in stopped at ${response.status} ${url.pathname}: ${response.body.slice(0, 200)}`);
    const actionUrl = new URL(action, url);
    let form: Record<string, string>;
    if (/name="loginName"/.test(response.body)) {
      // Our login page (errors re-render it with a 4xx, so a 200 page here is the first showing).
      form = { csrf: hidden(response.body, 'csrf') ?? '', window: credentials.window, loginName: credentials.loginName, password: credentials.password };
    } else if (hidden(response.body, 'prompt') === 'login') {
      form = { prompt: 'login', login: credentials.loginName, password: credentials.password };
    } else if (hidden(response.body, 'prompt') === 'consent') {
      form = { prompt: 'consent' };
    } else if (/name="csrf"/.test(response.body)) {
      form = { csrf: hidden(response.body, 'csrf') ?? '' }; // our consent page (not shown to first-party clients)
    } else {
      throw new Error(`unknown page at ${url.pathname}: ${response.body.slice(0, 200)}`);
    }
    url = actionUrl;
    response = await send(url, form);
    if (response.status >= 400) throw new Error(`form at ${url.pathname} refused: ${response.status} ${response.body.replace(/\s+/g, ' ').slice(0, 300)}`);
  }
  if (!code) throw new Error('sign-in did not reach the redirect URI within 12 steps');

  const token = await httpRequest(target.tokenEndpoint, {
    method: 'POST',
    headers: { authorization: basicAuth(target.clientId, target.clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: target.redirectUri, code_verifier: verifier }).toString(),
  });
  if (token.status !== 200) throw new Error(`code exchange refused: ${token.status} ${token.body.slice(0, 200)}`);
  const tokens = JSON.parse(token.body) as TokenSet;
  if (!tokens.id_token || !tokens.access_token) throw new Error(`code exchange without tokens: ${token.body.slice(0, 200)}`);
  if (options.offline && !tokens.refresh_token) throw new Error(`no refresh token issued (scope ${tokens.scope})`);
  return tokens;
}

export function closeConnections(): void {
  agent.destroy();
}
