import type { Logger } from '../logger.js';
import { maskMobile } from '../security/pii-crypto.js';
import type { SmsOutboxRepository } from './sms-outbox.repository.js';
import type { SmsMessage, SmsSender } from './sms.port.js';
import { maskCodes } from './sms-templates.js';

/**
 * Development adapter: nothing leaves the machine. Messages land in the outbox table (read on
 * /dev/sms-outbox and by `npm run cli -- sms outbox`) and in the log, which never shows the full
 * mobile or the code.
 */
export class OutboxSmsAdapter implements SmsSender {
  constructor(
    private readonly outbox: SmsOutboxRepository,
    private readonly logger: Logger,
  ) {}

  async send(message: SmsMessage): Promise<void> {
    await this.outbox.add(message);
    this.logger.info(
      { sms: { to: maskMobile(message.mobile), template: message.template, text: maskCodes(message.text) } },
      'text message stored in the development outbox',
    );
  }
}
