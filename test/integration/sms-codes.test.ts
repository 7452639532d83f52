/** The SMS code service against PostgreSQL, with the development outbox and an injected clock. */
import { DomainError, ValidationError } from '../../src/errors.js';
import { SmsCodeRateLimited } from '../../src/notify/sms-code.service.js';
import type { SmsPurpose } from '../../src/notify/sms-templates.js';
import { uniqueIp } from '../support/accounts.js';
import { outboxCode } from '../support/sms-outbox.js';
import { captureLogs, startTestApp, type TestApp, uniqueMobile } from '../support/test-app.js';
import { TestClock } from '../support/test-clock.js';

/** The error `promise` rejects with (fails the test if it resolves). */
async function rejection<T extends Error>(promise: Promise<unknown>): Promise<T> {
  try {
    await promise;
  } catch (error) {
    return error as T;
  }
  throw new Error('expected a rejection, but it resolved');
}

// 10:00 in Beijing: 14 hours before the next China day starts.
const BEIJING_10AM = new Date('2026-12-01T02:00:00Z');

describe('SMS one-time codes', () => {
  const clock = new TestClock();
  const logs = captureLogs();
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ clock: clock.now, logDestination: logs, env: { LOG_LEVEL: 'info' } });
  });
  afterAll(() => app?.close());

  const service = () => app.context.smsCodes;

  async function send(mobile: string, purpose: SmsPurpose = 'register', ip = uniqueIp()) {
    return service().requestCode({ mobile, purpose, ip, requestId: 'req-sms-test' });
  }

  const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

  test('when a code is requested, then one zh-CN message with a 6-digit code reaches the outbox and the answer says when to resend', async () => {
    const mobile = uniqueMobile();
    await expect(send(mobile)).resolves.toEqual({ resendAfterSeconds: 60 });
    const messages = await app.context.smsOutbox.recent({ mobile, limit: 10 });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ mobile, template: 'code_register' });
    expect(messages[0]!.text).toMatch(/^【科技部政务服务平台】验证码 \d{6}，您正在注册账号，5 分钟内有效。请勿泄露给他人。$/);
  });

  test('when a code is stored, then the table holds an HMAC bound to the mobile, never the code or the mobile, and the log shows neither', async () => {
    const mobile = uniqueMobile();
    const ip = uniqueIp();
    await send(mobile, 'reset', ip);
    const code = await outboxCode(app, mobile);
    const rows = await app.context.db('sms_codes').where({ ip });
    expect(rows).toHaveLength(1);
    const stored = JSON.stringify(rows[0]);
    expect(rows[0].code_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored).not.toContain(code);
    expect(stored).not.toContain(mobile);
    expect(rows[0].mobile_index).toBe(app.context.crypt.blindIndex(mobile));

    expect(logs.text()).toContain(`${mobile.slice(0, 3)}****${mobile.slice(7)}`);
    expect(logs.text()).not.toContain(code);
    expect(logs.text()).not.toContain(mobile);
    const outboxRow = await app.context.db('sms_outbox').where({ mobile_index: app.context.crypt.blindIndex(mobile) }).first();
    expect(outboxRow.mobile_encrypted).toMatch(/^v1\./);
  });

  test('when the right code is entered, then it verifies once and a second use is refused', async () => {
    const mobile = uniqueMobile();
    await send(mobile);
    const code = await outboxCode(app, mobile);
    await expect(service().verifyCode({ mobile, purpose: 'register', code })).resolves.toBeUndefined();
    const again = await rejection<DomainError>(service().verifyCode({ mobile, purpose: 'register', code }));
    expect(again).toBeInstanceOf(DomainError);
    expect(again.code).toBe('sms.error.no_code');
    expect(again.fields).toEqual({ smsCode: 'sms.error.no_code' });
  });

  test('when the mobile is written with +86 and spaces, then it is the same number for sending and verifying', async () => {
    const mobile = uniqueMobile();
    await service().requestCode({ mobile: `+86 ${mobile.slice(0, 3)} ${mobile.slice(3)}`, purpose: 'lookup', ip: uniqueIp() });
    await expect(service().verifyCode({ mobile, purpose: 'lookup', code: await outboxCode(app, mobile) })).resolves.toBeUndefined();
  });

  test('when 5 minutes have passed, then the code is expired; just before, it still verifies', async () => {
    clock.current = BEIJING_10AM;
    const mobile = uniqueMobile();
    await send(mobile, 'appeal');
    clock.advance(299);
    await expect(service().verifyCode({ mobile, purpose: 'appeal', code: await outboxCode(app, mobile) })).resolves.toBeUndefined();

    await send(mobile, 'appeal');
    const code = await outboxCode(app, mobile);
    clock.advance(300);
    const expired = await rejection<DomainError>(service().verifyCode({ mobile, purpose: 'appeal', code }));
    expect(expired.code).toBe('sms.error.code_expired');
    expect(expired.status).toBe(400);
  });

  test('when a code is asked again within 60 s, then it is refused with the seconds left; after 60 s the new code replaces the old one', async () => {
    clock.current = BEIJING_10AM;
    const mobile = uniqueMobile();
    await send(mobile);
    const first = await outboxCode(app, mobile);
    clock.advance(20);
    const early = await rejection<SmsCodeRateLimited>(send(mobile, 'reset'));
    expect(early).toBeInstanceOf(SmsCodeRateLimited);
    expect(early).toMatchObject({ code: 'sms.error.resend_too_early', status: 429, retryAfterSeconds: 40, params: { seconds: 40 } });
    expect(await app.context.smsOutbox.recent({ mobile, limit: 10 })).toHaveLength(1);

    clock.advance(40);
    await send(mobile);
    const second = await outboxCode(app, mobile);
    if (second !== first) {
      const old = await rejection<DomainError>(service().verifyCode({ mobile, purpose: 'register', code: first }));
      expect(old.code).toBe('sms.error.code_wrong');
    }
    await expect(service().verifyCode({ mobile, purpose: 'register', code: second })).resolves.toBeUndefined();
  });

  test('when a wrong code is entered 5 times, then the code is void (even the right one is refused) and each failure and the lock are audited with the masked mobile', async () => {
    const mobile = uniqueMobile();
    const ip = uniqueIp();
    await send(mobile, 'change_mobile', ip);
    const code = await outboxCode(app, mobile);
    const remaining: number[] = [];
    const keys: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const error = await rejection<DomainError>(service().verifyCode({ mobile, purpose: 'change_mobile', code: wrongCode(code), ip }));
      keys.push(error.code);
      remaining.push(error.params.remaining as number);
    }
    expect(keys).toEqual(['sms.error.code_wrong', 'sms.error.code_wrong', 'sms.error.code_wrong', 'sms.error.code_wrong', 'sms.error.too_many_attempts']);
    expect(remaining.slice(0, 4)).toEqual([4, 3, 2, 1]);
    const right = await rejection<DomainError>(service().verifyCode({ mobile, purpose: 'change_mobile', code, ip }));
    expect(right.code).toBe('sms.error.too_many_attempts');

    const events = await app.context.db('audit_events').where({ ip }).whereLike('event', 'sms.%').orderBy('id').select('event', 'outcome', 'details');
    expect(events.map((e) => e.event)).toEqual(['sms.code_sent', ...Array(4).fill('sms.code_failed'), 'sms.code_locked']);
    expect(events.at(-1)).toMatchObject({ outcome: 'locked', details: { attempts: 5, purpose: 'change_mobile' } });
    const masked = `${mobile.slice(0, 3)}****${mobile.slice(7)}`;
    expect(events.every((e) => e.details.mobile === masked)).toBe(true);
    expect(JSON.stringify(events)).not.toContain(mobile);
  });

  test('when a code sent for registration is entered for a password reset, then it is refused there and still verifies for registration', async () => {
    const mobile = uniqueMobile();
    await send(mobile, 'register');
    const code = await outboxCode(app, mobile);
    const elsewhere = await rejection<DomainError>(service().verifyCode({ mobile, purpose: 'reset', code }));
    expect(elsewhere.code).toBe('sms.error.no_code');
    await expect(service().verifyCode({ mobile, purpose: 'register', code })).resolves.toBeUndefined();
  });

  test('when a mobile has had 10 codes today, then the 11th is refused until the next day starts in Beijing, and is sent then', async () => {
    clock.current = BEIJING_10AM;
    const mobile = uniqueMobile();
    for (let i = 0; i < 10; i += 1) {
      await send(mobile, 'register');
      clock.advance(61);
    }
    const capped = await rejection<SmsCodeRateLimited>(send(mobile, 'register'));
    expect(capped).toMatchObject({ code: 'sms.error.mobile_daily_limit', status: 429 });
    // 10:00 + 10 × 61 s: a little under 14 hours to midnight.
    expect(capped.retryAfterSeconds).toBe(14 * 3600 - 610);
    expect(await app.context.smsOutbox.recent({ mobile, limit: 20 })).toHaveLength(10);

    clock.advance(capped.retryAfterSeconds);
    await expect(send(mobile, 'register')).resolves.toEqual({ resendAfterSeconds: 60 });
  });

  test('when an address has asked for 50 codes today, then the 51st is refused for any mobile', async () => {
    clock.current = BEIJING_10AM;
    const ip = uniqueIp();
    for (let i = 0; i < 50; i += 1) await send(uniqueMobile(), 'register', ip);
    const capped = await rejection<SmsCodeRateLimited>(send(uniqueMobile(), 'register', ip));
    expect(capped).toMatchObject({ code: 'sms.error.address_daily_limit', status: 429, retryAfterSeconds: 14 * 3600 });
    const refused = await app.context.db('audit_events').where({ ip, event: 'sms.code_refused' }).first('outcome', 'details');
    expect(refused).toMatchObject({ outcome: 'refused', details: { reason: 'address_daily_limit' } });
    // Another address is not affected.
    await expect(send(uniqueMobile(), 'register')).resolves.toEqual({ resendAfterSeconds: 60 });
  });

  test('when the mobile is not a mainland mobile, then a field message for mobile is given and nothing is sent', async () => {
    const ip = uniqueIp();
    for (const mobile of ['', '1234', '23912345678', '139123456789']) {
      const error = await rejection<ValidationError>(send(mobile, 'register', ip));
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.fields).toEqual({ mobile: 'account.error.mobile_invalid' });
    }
    expect(await app.context.db('sms_codes').where({ ip })).toHaveLength(0);
  });

  test('when the entry is not 6 digits, then it is refused without costing an attempt', async () => {
    const mobile = uniqueMobile();
    await send(mobile, 'reset');
    for (const code of ['', '12345', '1234567', 'abcdef']) {
      const error = await rejection<ValidationError>(service().verifyCode({ mobile, purpose: 'reset', code }));
      expect(error.fields).toEqual({ smsCode: 'sms.error.code_format' });
    }
    const row = await app.context.db('sms_codes').where({ mobile_index: app.context.crypt.blindIndex(mobile) }).first('attempts');
    expect(row.attempts).toBe(0);
    await expect(service().verifyCode({ mobile, purpose: 'reset', code: ` ${await outboxCode(app, mobile)} ` })).resolves.toBeUndefined();
  });

  test('when a code is withheld, then nothing is sent and no code verifies, yet the resend wait and the daily cap count it as sent', async () => {
    const mobile = uniqueMobile();
    const ip = uniqueIp();
    await expect(service().requestCode({ mobile, purpose: 'reset', ip, withhold: true })).resolves.toEqual({ resendAfterSeconds: 60 });
    expect(await app.context.smsOutbox.recent({ mobile, limit: 10 })).toHaveLength(0);
    const early = await rejection<SmsCodeRateLimited>(service().requestCode({ mobile, purpose: 'reset', ip, withhold: true }));
    expect(early).toMatchObject({ code: 'sms.error.resend_too_early', status: 429 });
    for (let code = 0; code < 3; code += 1) {
      await expect(service().verifyCode({ mobile, purpose: 'reset', code: String(code).padStart(6, '0') })).rejects.toMatchObject({ code: 'sms.error.code_wrong' });
    }
    const events = await app.context.db('audit_events').where({ ip }).orderBy('id').select('event', 'outcome');
    expect(events).toEqual([
      { event: 'sms.code_withheld', outcome: 'refused' },
      { event: 'sms.code_refused', outcome: 'refused' },
    ]);
  });

  test('when no code was ever sent to the mobile, then verification says to request one first', async () => {
    const error = await rejection<DomainError>(service().verifyCode({ mobile: uniqueMobile(), purpose: 'register', code: '123456' }));
    expect(error).toMatchObject({ code: 'sms.error.no_code', status: 400, fields: { smsCode: 'sms.error.no_code' } });
  });
});
