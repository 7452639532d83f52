import { createNaturalAccount } from '../support/accounts.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { TestClock } from '../support/test-clock.js';

describe('one-time credentials', () => {
  let app: TestApp;
  const clock = new TestClock();

  beforeAll(async () => {
    app = await startTestApp({ clock: clock.now });
  });
  afterAll(() => app.close());

  test('when a credential is issued, then it is 12 digits, matches once issued, and only a keyed hash is stored', async () => {
    const { account } = await createNaturalAccount(app);
    const { credential, expiresAt } = await app.context.oneTimeCredentials.issue(account.id, 'case:test');
    expect(credential).toMatch(/^\d{12}$/);
    expect(expiresAt.getTime() - clock.now().getTime()).toBe(24 * 3600 * 1000);
    expect(await app.context.oneTimeCredentials.matches(account.id, credential)).toBe(true);
    expect(await app.context.oneTimeCredentials.matches(account.id, credential.replace(/.$/, (d) => String((Number(d) + 1) % 10)))).toBe(false);
    const row = await app.context.db('one_time_credentials').where({ account_id: account.id }).first();
    expect(JSON.stringify(row)).not.toContain(credential);
  });

  test('when it is consumed, then it matches no more and cannot be consumed twice', async () => {
    const { account } = await createNaturalAccount(app);
    const { credential } = await app.context.oneTimeCredentials.issue(account.id, 'case:test');
    expect(await app.context.oneTimeCredentials.consume(account.id)).toBe(true);
    expect(await app.context.oneTimeCredentials.matches(account.id, credential)).toBe(false);
    expect(await app.context.oneTimeCredentials.consume(account.id)).toBe(false);
    expect(await app.context.oneTimeCredentials.outstanding(account.id)).toBe(false);
  });

  test('when 24 hours have passed, then it no longer matches', async () => {
    const { account } = await createNaturalAccount(app);
    const { credential } = await app.context.oneTimeCredentials.issue(account.id, 'case:test');
    clock.advance(24 * 3600 - 1);
    expect(await app.context.oneTimeCredentials.matches(account.id, credential)).toBe(true);
    clock.advance(2);
    expect(await app.context.oneTimeCredentials.matches(account.id, credential)).toBe(false);
    expect(await app.context.oneTimeCredentials.consume(account.id)).toBe(false);
  });

  test('when a second credential is issued, then the first one stops working', async () => {
    const { account } = await createNaturalAccount(app);
    const first = await app.context.oneTimeCredentials.issue(account.id, 'case:one');
    const second = await app.context.oneTimeCredentials.issue(account.id, 'case:two');
    expect(await app.context.oneTimeCredentials.matches(account.id, first.credential)).toBe(first.credential === second.credential);
    expect(await app.context.oneTimeCredentials.matches(account.id, second.credential)).toBe(true);
  });

  test('when the credential of one account is tried on another, then it does not match', async () => {
    const one = await createNaturalAccount(app);
    const other = await createNaturalAccount(app);
    const { credential } = await app.context.oneTimeCredentials.issue(one.account.id, 'case:test');
    await app.context.oneTimeCredentials.issue(other.account.id, 'case:test');
    expect(await app.context.oneTimeCredentials.matches(other.account.id, credential)).toBe(false);
  });
});

describe('SMS notices', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  test('when an approval notice is sent, then the outbox holds the login name and credential, and the template is notice_appeal_approved', async () => {
    const mobile = `138${String(Date.now()).slice(-8)}`;
    expect(await app.context.smsNotices.send(mobile, 'appeal_approved', { caseNumber: 'A-1', loginName: 'zhang_san', credential: '123456789012', hours: '24' })).toBe(true);
    const [message] = await app.context.smsOutbox.recent({ mobile, limit: 1 });
    expect(message).toMatchObject({ template: 'notice_appeal_approved' });
    expect(message!.text).toContain('登录名：zhang_san，一次性登录密码：123456789012，24 小时内有效');
  });
});
