/**
 * Local fake SMS gateways on 127.0.0.1 for the real adapters to talk to: one server records each
 * request and answers as the test says (success, 500, silence, garbage).
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawBody: string;
  body: unknown;
}

export type Answer = (request: RecordedRequest, res: http.ServerResponse) => void;

export const answers = {
  json: (status: number, body: unknown): Answer => (_request, res) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  },
  /** Headers of a 200 JSON answer, then a body that is not JSON. */
  notJson: (): Answer => (_request, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('<html>gateway error</html>');
  },
  /** Never answers: the adapter's timeout has to end the wait. */
  silence: (): Answer => () => undefined,
  /** Bytes that are not HTTP at all, then the connection closes. */
  garbage: (): Answer => (_request, res) => {
    res.socket?.end('this is not an HTTP response\r\n\r\n');
  },
};

export class FakeGateway {
  readonly requests: RecordedRequest[] = [];
  answer: Answer = answers.json(200, {});
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = rawBody;
      }
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawBody, body };
      this.requests.push(request);
      this.answer(request, res);
    });
  });
  url = '';

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Tencent Cloud API answers (API 3.0 JSON). */
export const tencent = {
  sent: (mobile: string): Answer =>
    answers.json(200, {
      Response: {
        SendStatusSet: [{ SerialNo: crypto.randomUUID(), PhoneNumber: `+86${mobile}`, Fee: 1, SessionContext: '', Code: 'Ok', Message: 'send success', IsoCode: 'CN' }],
        RequestId: crypto.randomUUID(),
      },
    }),
  refused: (mobile: string, code: string): Answer =>
    answers.json(200, {
      Response: {
        SendStatusSet: [{ SerialNo: '', PhoneNumber: `+86${mobile}`, Fee: 0, SessionContext: '', Code: code, Message: 'refused', IsoCode: 'CN' }],
        RequestId: crypto.randomUUID(),
      },
    }),
  error: (code: string): Answer => answers.json(200, { Response: { Error: { Code: code, Message: 'refused by the fake' }, RequestId: crypto.randomUUID() } }),
};

const hmac = (key: crypto.BinaryLike, data: string) => crypto.createHmac('sha256', key).update(data).digest();
const sha256 = (data: string) => crypto.createHash('sha256').update(data).digest('hex');

/**
 * Checks a request's TC3-HMAC-SHA256 signature the way Tencent Cloud does: proves the adapter
 * handed the SDK the right secret key. Returns the secret id it was signed for, or undefined.
 */
export function tc3SignedBy(request: RecordedRequest, secretKey: string): string | undefined {
  const match = /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d{2}-\d{2})\/([^/]+)\/tc3_request, SignedHeaders=content-type;host, Signature=([0-9a-f]{64})$/.exec(
    String(request.headers.authorization),
  );
  if (!match) return undefined;
  const [, secretId, date, service, signature] = match as unknown as [string, string, string, string, string];
  const host = String(request.headers.host).replace(/:\d+$/, '');
  const canonical = ['POST', '/', '', `content-type:${request.headers['content-type']}\nhost:${host}\n`, 'content-type;host', sha256(request.rawBody)].join('\n');
  const toSign = ['TC3-HMAC-SHA256', request.headers['x-tc-timestamp'], `${date}/${service}/tc3_request`, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(`TC3${secretKey}`, date), service), 'tc3_request');
  return crypto.createHmac('sha256', key).update(toSign).digest('hex') === signature ? secretId : undefined;
}
