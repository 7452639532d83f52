/** SMS codes as the development outbox "sent" them: what a person would read on their phone. */
import type { TestApp } from './test-app.js';

const CODE = /验证码 (\d{6})/;

/** The code in the newest outbox message to `mobile`; throws when there is none. */
export async function outboxCode(app: Pick<TestApp, 'context'>, mobile: string): Promise<string> {
  const [message] = await app.context.smsOutbox.recent({ mobile, limit: 1 });
  const code = message && CODE.exec(message.text)?.[1];
  if (!code) throw new Error(`no code in the outbox for ${mobile}`);
  return code;
}

/** The codes in the last ten outbox messages to `mobile`, newest first (none sent: an empty list). */
export async function outboxCodes(app: Pick<TestApp, 'context'>, mobile: string): Promise<string[]> {
  const messages = await app.context.smsOutbox.recent({ mobile, limit: 10 });
  return messages.map((message) => CODE.exec(message.text)![1]!);
}
