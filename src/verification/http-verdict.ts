/**
 * The one HTTP exchange both verification authorities speak (README, "Real-name verification"):
 * a JSON POST with a bearer token, answered by 200, a JSON content type and
 * {"result": "match" | "mismatch"}. Only that answer is a verdict; anything else is reported
 * through `unavailable`, so an outage can never pass for a verdict about a person or a unit.
 */
import type { UnavailableReason } from './identity-authority.js';

export interface HttpVerdictOptions {
  url: string;
  token: string;
  timeoutMs: number;
}

export type Verdict = 'match' | 'mismatch';

/** Makes the adapter's own "unavailable" error: each port has its class. */
export type Unavailable = (reason: UnavailableReason, detail: string) => Error;

export async function postForVerdict(options: HttpVerdictOptions, body: unknown, unavailable: Unavailable): Promise<Verdict> {
  // One deadline for connecting, the headers and the body: a slow trickle is as bad as silence.
  const signal = AbortSignal.timeout(options.timeoutMs);
  let response: Response;
  let text: string;
  try {
    response = await fetch(options.url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${options.token}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify(body),
      // Never carry the credentials and the personal data to wherever a redirect points.
      redirect: 'error',
      signal,
    });
    text = await response.text();
  } catch (error) {
    if (signal.aborted) throw unavailable('timeout', `no answer within ${options.timeoutMs} ms`);
    throw unavailable('network', (error as Error).message);
  }

  if (response.status !== 200) throw unavailable('status', `HTTP ${response.status}`);
  const contentType = response.headers.get('content-type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(contentType)) {
    throw unavailable('malformed', `content type ${JSON.stringify(contentType)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw unavailable('malformed', 'body is not JSON');
  }
  const result = (parsed as { result?: unknown } | null)?.result;
  if (result === 'match' || result === 'mismatch') return result;
  throw unavailable('malformed', 'body has no result "match" or "mismatch"');
}
