import crypto from 'node:crypto';

/**
 * CSRF tokens bound to something the attacker's page cannot read or choose (an interaction id, a
 * session id): an HMAC under a server secret, so no token storage is needed.
 */
export class CsrfTokens {
  constructor(private readonly secret: Buffer) {}

  issue(boundTo: string): string {
    return crypto.createHmac('sha256', this.secret).update(`csrf:${boundTo}`).digest('base64url');
  }

  verify(boundTo: string, token: unknown): boolean {
    if (typeof token !== 'string' || token.length === 0) return false;
    const expected = Buffer.from(this.issue(boundTo));
    const given = Buffer.from(token);
    return given.length === expected.length && crypto.timingSafeEqual(given, expected);
  }
}
