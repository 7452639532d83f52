/**
 * The identity authority over HTTP. The contract (README, "Real-name verification"):
 *
 *   POST <IDENTITY_AUTHORITY_URL>
 *   Authorization: Bearer <IDENTITY_AUTHORITY_TOKEN>
 *   Content-Type: application/json
 *   {"name": "张三", "document_type": "resident_id", "document_number": "11010519491231002X"}
 *
 *   200, Content-Type: application/json, {"result": "match" | "mismatch"}
 *
 * Only that answer is a verdict. Any other status, content type or body, a redirect, a network
 * error or no answer within the timeout is IdentityAuthorityUnavailable.
 */
import { IdentityAuthorityUnavailable, type IdentityAuthority, type IdentityQuery, type IdentityVerdict } from './identity-authority.js';

export interface HttpIdentityAuthorityOptions {
  url: string;
  token: string;
  timeoutMs: number;
}

export class HttpIdentityAuthority implements IdentityAuthority {
  constructor(private readonly options: HttpIdentityAuthorityOptions) {}

  async checkPerson(query: IdentityQuery): Promise<IdentityVerdict> {
    // One deadline for connecting, the headers and the body: a slow trickle is as bad as silence.
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.options.token}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify({ name: query.name, document_type: query.documentType, document_number: query.documentNumber }),
        // Never carry the credentials and the person's data to wherever a redirect points.
        redirect: 'error',
        signal,
      });
      text = await response.text();
    } catch (error) {
      if (signal.aborted) throw new IdentityAuthorityUnavailable('timeout', `no answer within ${this.options.timeoutMs} ms`);
      throw new IdentityAuthorityUnavailable('network', (error as Error).message);
    }

    if (response.status !== 200) throw new IdentityAuthorityUnavailable('status', `HTTP ${response.status}`);
    const contentType = response.headers.get('content-type') ?? '';
    if (!/^application\/([\w.+-]+\+)?json\b/i.test(contentType)) {
      throw new IdentityAuthorityUnavailable('malformed', `content type ${JSON.stringify(contentType)}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new IdentityAuthorityUnavailable('malformed', 'body is not JSON');
    }
    const result = (body as { result?: unknown } | null)?.result;
    if (result === 'match' || result === 'mismatch') return result;
    throw new IdentityAuthorityUnavailable('malformed', 'body has no result "match" or "mismatch"');
  }
}
