import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as client from 'openid-client';
import { formAction, hiddenInput, UserAgent } from './user-agent.js';

/**
 * A relying party for tests: a loopback server that receives back-channel logout tokens, and
 * openid-client (a certified RP library) for discovery, PKCE, code exchange and token validation.
 */
export class TestRelyingParty {
  readonly logoutTokens: string[] = [];
  private server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/backchannel-logout') {
        const token = new URLSearchParams(body).get('logout_token');
        if (token) this.logoutTokens.push(token);
        res.writeHead(200).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('rp');
    });
  });
  base = '';
  config!: client.Configuration;

  constructor(
    readonly clientId: string,
    readonly clientSecret: string,
  ) {}

  get redirectUri() {
    return `${this.base}/callback`;
  }

  get postLogoutRedirectUri() {
    return `${this.base}/`;
  }

  /** A client entry in the clients file's format, pointing at this RP. */
  clientEntry(extra: Record<string, unknown> = {}) {
    return {
      client_id: this.clientId,
      client_secret: this.clientSecret,
      redirect_uris: [this.redirectUri],
      post_logout_redirect_uris: [`${this.base}/`],
      backchannel_logout_uri: `${this.base}/backchannel-logout`,
      grant_types: ['authorization_code', 'refresh_token'],
      name: { 'zh-CN': `测试系统 ${this.clientId}`, en: `Test system ${this.clientId}` },
      first_party: true,
      policy: { account_kinds: ['natural', 'legal'] },
      ...extra,
    };
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async discover(issuer: string): Promise<void> {
    this.config = await client.discovery(new URL(issuer), this.clientId, this.clientSecret, undefined, {
      execute: [client.allowInsecureRequests],
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Starts an authorization request: returns the URL and what the callback needs to check. */
  async authorizationRequest(params: Record<string, string> = {}) {
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(this.config, {
      redirect_uri: this.redirectUri,
      scope: 'openid profile',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      ...params,
    });
    return { url: url.href, codeVerifier, state };
  }

  /** Exchanges the code in `callbackUrl` and validates the ID token (openid-client does the checks). */
  async callback(callbackUrl: string, request: { codeVerifier: string; state: string }) {
    return client.authorizationCodeGrant(this.config, new URL(callbackUrl), {
      pkceCodeVerifier: request.codeVerifier,
      expectedState: request.state,
    });
  }

  async refresh(refreshToken: string) {
    return client.refreshTokenGrant(this.config, refreshToken);
  }

  async userinfo(accessToken: string, sub: string) {
    return client.fetchUserInfo(this.config, accessToken, sub);
  }

  /**
   * Signs in through the OP's login page with `agent` (which keeps the OP session cookies) and
   * returns the validated token response.
   */
  async signIn(
    agent: UserAgent,
    credentials: { window: 'natural' | 'legal'; loginName: string; password: string },
    params: Record<string, string> = {},
  ) {
    const request = await this.authorizationRequest(params);
    let page = await agent.follow(request.url, this.redirectUri);
    if (!page.url.startsWith(this.redirectUri)) {
      const csrf = hiddenInput(page.body, 'csrf');
      if (!csrf) throw new Error(`expected the login page, got ${page.status} at ${page.url}`);
      const action = new URL(/action="([^"]*\/login)"/.exec(page.body)![1]!, page.url).href;
      page = await agent.submit(action, { csrf, ...credentials }, this.redirectUri);
      if (!page.url.startsWith(this.redirectUri)) throw new Error(`login did not return to the RP: ${page.status} ${page.body.slice(0, 300)}`);
    }
    return this.callback(page.url, request);
  }

  /**
   * Starts a sign-in with `agent` and follows the OP's redirects to the first page it shows (the
   * login or consent page) or to this RP's callback, whichever comes first.
   */
  async openAuthorization(agent: UserAgent, params: Record<string, string> = {}) {
    const request = await this.authorizationRequest(params);
    const page = await agent.follow(request.url, this.redirectUri);
    return { request, page };
  }

  /**
   * Posts the login form found on `page` with `form` (the CSRF token is taken from the page unless
   * `form` gives one, or `null` leaves it out) and follows redirects up to this RP's callback.
   */
  async submitLogin(
    agent: UserAgent,
    page: { url: string; body: string },
    form: Record<string, string>,
    options: { csrf?: string | null } = {},
  ) {
    const action = formAction(page.body, /\/login$/, page.url);
    if (!action) throw new Error(`no login form at ${page.url}`);
    const csrf = options.csrf === undefined ? hiddenInput(page.body, 'csrf') : options.csrf;
    return agent.submit(action, { ...(csrf === null || csrf === undefined ? {} : { csrf }), ...form }, this.redirectUri);
  }

  /** openid-client's RP-initiated logout URL for `idToken`, returning to this RP. */
  endSessionUrl(idToken: string, params: Record<string, string> = {}) {
    return client.buildEndSessionUrl(this.config, {
      id_token_hint: idToken,
      post_logout_redirect_uri: this.postLogoutRedirectUri,
      ...params,
    }).href;
  }
}

/** The OAuth error code openid-client reports for a refused token request. */
export async function tokenError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof client.ResponseBodyError) return error.error;
    throw error;
  }
  throw new Error('the token request succeeded');
}
