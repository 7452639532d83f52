import type { SmsTemplate } from './sms-templates.js';

export interface SmsMessage {
  /** An 11-digit mainland number, normalised. */
  mobile: string;
  /** The full text, for gateways that take text and for the development outbox. */
  text: string;
  template: SmsTemplate;
  /** The template's variables, for gateways that fill their own registered templates. */
  params: Record<string, string>;
}

/** Sends one text message; resolves once the gateway has accepted it. */
export interface SmsSender {
  send(message: SmsMessage): Promise<void>;
}

/**
 * The gateway did not accept the message: unreachable, timed out, answered 5xx or something we
 * cannot read, or refused it. Flows answer "try again later" (503), never a 500. The message is
 * for operators' logs and never holds the code or the mobile.
 */
export class SmsGatewayUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SmsGatewayUnavailable';
  }
}
