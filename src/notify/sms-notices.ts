import type { Logger } from '../logger.js';
import { maskMobile } from '../security/pii-crypto.js';
import type { SmsSender } from './sms.port.js';
import { noticeMessage, type NoticeParams, type SmsNotice } from './sms-templates.js';

/**
 * Tells people by SMS what happened to their account (a reset, an appeal's decision). A notice is
 * sent after the change has committed and is never the change itself: a gateway outage is logged
 * and the caller goes on (the page and the case status still say what happened).
 */
export class SmsNotices {
  constructor(
    private readonly sender: SmsSender,
    private readonly signName: string,
    private readonly logger: Logger,
  ) {}

  /** Resolves true once the gateway accepted the message, false when it did not. */
  async send<N extends SmsNotice>(mobile: string, notice: N, params: NoticeParams[N]): Promise<boolean> {
    try {
      await this.sender.send({ mobile, ...noticeMessage(notice, params, this.signName) });
      return true;
    } catch (error) {
      this.logger.warn({ err: error, notice, to: maskMobile(mobile) }, 'SMS notice not sent');
      return false;
    }
  }
}
