import type { sms as TencentSms } from 'tencentcloud-sdk-nodejs-sms';
import type { SmsMessage, SmsSender } from './sms.port.js';
import { SmsGatewayUnavailable } from './sms.port.js';
import type { SmsTemplate } from './sms-templates.js';

export interface TencentSmsOptions {
  secretId: string;
  secretKey: string;
  /** The SmsSdkAppId of the SMS application in the Tencent Cloud console. */
  sdkAppId: string;
  region: string;
  /** `https://sms.tencentcloudapi.com`; tests point it at a local fake over http. */
  endpoint: string;
  /** The approved signature (签名), sent as SignName. */
  signName: string;
  timeoutMs: number;
  /** The approved template id for each of our templates. */
  templateIds: Record<SmsTemplate, string>;
}

type TencentSmsClient = InstanceType<typeof TencentSms.v20210111.Client>;

/**
 * Tencent Cloud SMS (API 2021-01-11, SendSms) through the official SDK, which signs requests with
 * TC3-HMAC-SHA256. Tencent fills its own approved template, so only the template id and the
 * parameters ({1} code, {2} minutes) are sent, never our text.
 */
export class TencentSmsAdapter implements SmsSender {
  /**
   * The SDK is imported at the first message, not at start-up: this module is imported by the
   * adapter factory whatever SMS_ADAPTER says, and the SDK with its dependencies adds about 10 MB
   * to the server's memory (measured: RSS after import, on top of knex, pg and oidc-provider).
   */
  private client?: Promise<TencentSmsClient>;

  constructor(private readonly options: TencentSmsOptions) {}

  private connect(): Promise<TencentSmsClient> {
    this.client ??= import('tencentcloud-sdk-nodejs-sms').then(({ sms }) => {
      const endpoint = new URL(this.options.endpoint);
      return new sms.v20210111.Client({
        credential: { secretId: this.options.secretId, secretKey: this.options.secretKey },
        region: this.options.region,
        profile: {
          httpProfile: {
            endpoint: endpoint.host,
            protocol: `${endpoint.protocol}//`,
            // The SDK counts in seconds and passes fractions through.
            reqTimeout: this.options.timeoutMs / 1000,
          },
        },
      });
    });
    return this.client;
  }

  async send(message: SmsMessage): Promise<void> {
    const client = await this.connect();
    let result: Awaited<ReturnType<TencentSmsClient['SendSms']>>;
    try {
      result = await client.SendSms({
        SmsSdkAppId: this.options.sdkAppId,
        SignName: this.options.signName,
        TemplateId: this.options.templateIds[message.template],
        TemplateParamSet: Object.values(message.params),
        PhoneNumberSet: [`+86${message.mobile}`],
      });
    } catch (error) {
      // HTTP errors, timeouts and error responses come as the SDK's exception (with Tencent's
      // error code); an unreadable body as a SyntaxError or TypeError from its parser.
      const { code, httpCode, message: text } = error as { code?: string; httpCode?: number; message?: string };
      throw new SmsGatewayUnavailable(`tencent: ${code ?? (httpCode ? `HTTP ${httpCode}` : 'no usable answer')}: ${text ?? ''}`, { cause: error });
    }
    // A 200 may still refuse the number (daily limit, blacklist, bad template): one status per number.
    const status = result?.SendStatusSet?.[0];
    if (status?.Code !== 'Ok') throw new SmsGatewayUnavailable(`tencent refused the message: ${status?.Code ?? 'no send status'}`);
  }
}
