/** `npm run cli -- sms outbox` as operators run it (a child process), against the test PostgreSQL. */
import { uniqueIp } from '../support/accounts.js';
import { runCli } from '../support/cli.js';
import { startTestApp, uniqueMobile, type TestApp } from '../support/test-app.js';
import { TestClock } from '../support/test-clock.js';

const cli = (args: string[]) => runCli(args);

describe('sms outbox CLI', () => {
  const clock = new TestClock();
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ clock: clock.now });
  });
  afterAll(() => app?.close());

  test('when messages went to a mobile, then `sms outbox --mobile` prints them one a line, newest last, with time, mobile and text', async () => {
    const mobile = uniqueMobile();
    const ip = uniqueIp();
    await app.context.smsCodes.requestCode({ mobile, purpose: 'register', ip });
    clock.advance(61);
    await app.context.smsCodes.requestCode({ mobile, purpose: 'reset', ip });
    await app.context.smsCodes.requestCode({ mobile: uniqueMobile(), purpose: 'register', ip });

    const result = await cli(['sms', 'outbox', '--mobile', mobile]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z  ${mobile}  【科技部政务服务平台】验证码 \\d{6}，您正在注册账号`));
    expect(lines[1]).toMatch(new RegExp(`  ${mobile}  【科技部政务服务平台】验证码 \\d{6}，您正在找回密码`));
  });

  test('when --limit is given, then only the newest N are printed, still newest last', async () => {
    const ip = uniqueIp();
    const mobiles = [uniqueMobile(), uniqueMobile(), uniqueMobile()];
    for (const mobile of mobiles) await app.context.smsCodes.requestCode({ mobile, purpose: 'lookup', ip });
    const result = await cli(['sms', 'outbox', '--limit', '2']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    // Other test files may add messages meanwhile; ours are the newest unless one landed in between.
    expect(lines).toHaveLength(2);
    if (lines.every((line) => mobiles.some((m) => line.includes(m)))) {
      expect(lines[0]).toContain(mobiles[1]);
      expect(lines[1]).toContain(mobiles[2]);
    }
  });

  test('when --mobile or --limit is malformed, then the usage is printed with exit code 2', async () => {
    const badMobile = await cli(['sms', 'outbox', '--mobile', '12345']);
    expect(badMobile.code).toBe(2);
    expect(badMobile.stderr).toContain('--mobile must be an 11-digit mainland mobile number');
    const badLimit = await cli(['sms', 'outbox', '--limit', 'all']);
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toContain('--limit must be a whole number from 1 to 1000');
  });
});
