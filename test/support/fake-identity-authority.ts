import crypto from 'node:crypto';
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

/**
 * A local stand-in for the real identity authority, speaking the README's contract on 127.0.0.1,
 * so tests drive the real HTTP adapter. It answers from its own small register unless a script
 * is set for the document number asked about.
 */
export class FakeIdentityAuthority {
  readonly token = `fake-authority-${crypto.randomBytes(8).toString('hex')}`;
  readonly requests: AuthorityRequest[] = [];
  private readonly people = new Map<string, string>();
  private readonly scripts = new Map<string, Script>();
  private readonly server = http.createServer((req, res) => void this.handle(req, res));
  url = '';

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/person-check`;
  }

  async close(): Promise<void> {
    // Scripts that never answer hold connections open.
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  addPerson(name: string, documentType: string, documentNumber: string): void {
    this.people.set(`${documentType}:${documentNumber}`, name);
  }

  script(documentNumber: string, script: Script): void {
    this.scripts.set(documentNumber, script);
  }

  requestsFor(documentNumber: string): AuthorityRequest[] {
    return this.requests.filter((request) => (request.body as { document_number?: string })?.document_number === documentNumber);
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

    const query = body as { name?: string; document_type?: string; document_number?: string };
    const script = query.document_number ? this.scripts.get(query.document_number) : undefined;
    if (script) return script(request, res);
    if (req.headers.authorization !== `Bearer ${this.token}`) return json(res, 401, { error: 'unauthorized' });
    const registered = this.people.get(`${query.document_type}:${query.document_number}`);
    json(res, 200, { result: registered !== undefined && registered === query.name ? 'match' : 'mismatch' });
  }
}

export function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}
