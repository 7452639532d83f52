import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AuthorityRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

/** Answers one request instead of the register: a status, a broken body, silence. */
export type Script = (request: AuthorityRequest, response: http.ServerResponse) => void | Promise<void>;

export function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

/**
 * What the local stand-ins for the outside check services (identity authority, enterprise
 * registry) share: a JSON endpoint on 127.0.0.1 behind a bearer token that records every request,
 * answers `match` or `mismatch` from the stand-in's own register, or runs the script set for the
 * key (document number, USCC) asked about.
 */
export abstract class FakeCheckServer<Query> {
  readonly requests: AuthorityRequest[] = [];
  private readonly scripts = new Map<string, Script>();
  private readonly server = http.createServer((req, res) => void this.handle(req, res));
  url = '';

  protected constructor(
    readonly token: string,
    private readonly path: string,
  ) {}

  /** The key a request is scripted and looked up by. */
  protected abstract keyOf(query: Query): string | undefined;
  /** Whether the own register holds what the request asks about. */
  protected abstract matches(query: Query): boolean;

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${this.path}`;
  }

  async close(): Promise<void> {
    // Scripts that never answer hold connections open.
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  script(key: string, script: Script): void {
    this.scripts.set(key, script);
  }

  requestsFor(key: string): AuthorityRequest[] {
    return this.requests.filter((request) => this.keyOf(request.body as Query) === key);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let text = '';
    for await (const chunk of req) text += chunk;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    const request: AuthorityRequest = { method: req.method!, path: req.url!, headers: req.headers, body };
    this.requests.push(request);

    const key = this.keyOf(body as Query);
    const script = key ? this.scripts.get(key) : undefined;
    if (script) return script(request, res);
    if (req.headers.authorization !== `Bearer ${this.token}`) return json(res, 401, { error: 'unauthorized' });
    json(res, 200, { result: this.matches(body as Query) ? 'match' : 'mismatch' });
  }
}
