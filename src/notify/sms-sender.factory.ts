import type { Logger } from '../logger.js';
import type { Settings } from '../settings.js';
import { HttpJsonSmsAdapter } from './http-json.sms-adapter.js';
import { OutboxSmsAdapter } from './outbox.sms-adapter.js';
import type { SmsOutboxRepository } from './sms-outbox.repository.js';
import type { SmsSender } from './sms.port.js';
import { TencentSmsAdapter } from './tencent.sms-adapter.js';

/** The adapter SMS_ADAPTER names, with its settings (checked at start-up, see settings.ts). */
export function createSmsSender(settings: Settings['sms'], outbox: SmsOutboxRepository, logger: Logger): SmsSender {
  const { gateway, timeoutMs, signName } = settings;
  switch (gateway.kind) {
    case 'outbox':
      return new OutboxSmsAdapter(outbox, logger);
    case 'http':
      return new HttpJsonSmsAdapter({ url: gateway.url, token: gateway.token, timeoutMs, templateIds: gateway.templateIds });
    case 'tencent':
      return new TencentSmsAdapter({ ...gateway, signName, timeoutMs });
  }
}
