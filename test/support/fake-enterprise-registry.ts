import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { json, type AuthorityRequest, type Script } from './fake-identity-authority.js';

/**
 * A local stand-in for the real enterprise registry, speaking the README's contract on 127.0.0.1,
 * so tests drive the real HTTP adapter. It answers from its own small register of units unless a
 * script is set for the USCC asked about.
 */
export class FakeEnterpriseRegistry {
  readonly token = `fake-registry-${crypto.randomBytes(8).toString('hex')}`;
  readonly requests: AuthorityRequest[] = [];
  private readonly units = new Map<string, { orgName: string; legalRepresentative: string }>();
  private readonly scripts = new Map<string, Script>();
  private readonly server = http.createServer((req, res) => void this.handle(req, res));
  url = '';

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/entity-check`;
  }

  async close(): Promise<void> {
    // Scripts that never answer hold connections open.
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  addUnit(uscc: string, orgName: string, legalRepresentative: string): void {
    this.units.set(uscc, { orgName, legalRepresentative });
  }

  script(uscc: string, script: Script): void {
    this.scripts.set(uscc, script);
  }

  requestsFor(uscc: string): AuthorityRequest[] {
    return this.requests.filter((request) => (request.body as { uscc?: string })?.uscc === uscc);
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

    const query = body as { uscc?: string; org_name?: string; legal_representative?: string };
    const script = query.uscc ? this.scripts.get(query.uscc) : undefined;
    if (script) return script(request, res);
    if (req.headers.authorization !== `Bearer ${this.token}`) return json(res, 401, { error: 'unauthorized' });
    const unit = query.uscc ? this.units.get(query.uscc) : undefined;
    const match = unit !== undefined && unit.orgName === query.org_name && unit.legalRepresentative === query.legal_representative;
    json(res, 200, { result: match ? 'match' : 'mismatch' });
  }
}
