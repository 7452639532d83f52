import type { SmsMessage, SmsSender } from './sms.port.js';
import { SmsGatewayUnavailable } from './sms.port.js';
import type { SmsTemplate } from './sms-templates.js';

export interface HttpJsonSmsOptions {
  url: string;
  /** Sent as `Authorization: Bearer …`. */
  token: string;
  timeoutMs: number;
  /** The gateway's template ids; our template name is sent where none is configured. */
  templateIds: Partial<Record<SmsTemplate, string>>;
}

/**
 * A generic HTTPS JSON gateway (an in-house SMS platform, a provincial government gateway):
 * `POST {mobile, template, params, text}` with a bearer token. Any 2xx means accepted; everything
 * else — another status, no answer within the timeout, a broken connection — is
 * SmsGatewayUnavailable.
 */
export class HttpJsonSmsAdapter implements SmsSender {
  constructor(private readonly options: HttpJsonSmsOptions) {}

  async send(message: SmsMessage): Promise<void> {
    const { url, token, timeoutMs, templateIds } = this.options;
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          mobile: message.mobile,
          template: templateIds[message.template] ?? message.template,
          params: message.params,
          text: message.text,
        }),
        signal: AbortSignal.timeout(timeoutMs),
        // A redirect would carry the bearer token to wherever it points.
        redirect: 'error',
      });
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      throw new SmsGatewayUnavailable(timedOut ? `no answer within ${timeoutMs} ms` : 'gateway unreachable or its answer unreadable', { cause: error });
    }
    // The status says it all; the body is not needed, and left unread it would hold the connection.
    await response.body?.cancel().catch(() => undefined);
    if (!response.ok) throw new SmsGatewayUnavailable(`gateway answered HTTP ${response.status}`);
  }
}
