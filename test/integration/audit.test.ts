import { createNaturalAccount, credentials, uniqueIp } from '../support/accounts.js';
import { TestRelyingParty } from '../support/oidc-rp.js';
import { startTestApp, unique, uniqueMobile, type TestApp } from '../support/test-app.js';
import { UserAgent } from '../support/user-agent.js';

describe('the audit log', () => {
  let app: TestApp;
  const rp = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-8a');

  beforeAll(async () => {
    await rp.listen();
    app = await startTestApp({ clients: [rp.clientEntry()], env: { TRUST_PROXY: 'true' } });
    await rp.discover(app.url);
  });
  afterAll(async () => {
    await app?.close();
    await rp.close();
  });

  const eventsFor = (subjectId: string) =>
    app.context.db('audit_events').where({ subject_id: subjectId }).orderBy('id').select();

  test('when an account is created, then account.created is recorded with the actor, the address and the outcome', async () => {
    const ip = uniqueIp();
    const mobile = uniqueMobile();
    const account = await app.context.accountService.create(
      { kind: 'natural', loginName: unique('aud'), password: 'Correct-Horse-42', mobile, name: '王五' },
      { type: 'operator', id: 'op-1', ip, requestId: 'req-12345678' },
    );
    const [event] = await eventsFor(account.id);
    expect(event).toMatchObject({
      event: 'account.created',
      outcome: 'success',
      actor_type: 'operator',
      actor_id: 'op-1',
      subject_type: 'account',
      ip,
      request_id: 'req-12345678',
    });
    expect(new Date(event.occurred_at).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(JSON.stringify(event)).not.toContain(mobile);
  });

  test('when a login fails and then succeeds, then login.failure and login.success are recorded with the address, outcome and request id, and no password', async () => {
    const natural = await createNaturalAccount(app);
    const ip = uniqueIp();
    const agent = new UserAgent({ 'x-forwarded-for': ip });
    const { request, page } = await rp.openAuthorization(agent);
    const failed = await rp.submitLogin(agent, page, { ...credentials(natural), password: 'Not-The-Password-9' });
    expect(failed.status).toBe(401);
    const done = await rp.submitLogin(agent, failed, credentials(natural));
    await rp.callback(done.url, request);

    const events = (await eventsFor(natural.account.id)).filter((e) => e.event.startsWith('login.'));
    expect(events.map((e) => [e.event, e.outcome])).toEqual([
      ['login.failure', 'failure'],
      ['login.success', 'success'],
    ]);
    for (const event of events) {
      expect(event.ip).toBe(ip);
      expect(event.request_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(event.details.window).toBe('natural');
      expect(JSON.stringify(event)).not.toContain('Not-The-Password-9');
      expect(JSON.stringify(event)).not.toContain(natural.password);
    }
    expect(events[0]).toMatchObject({ actor_type: 'account', actor_id: natural.account.id });
    expect(events[0]!.details.failures).toBe(1);
    expect(events[1]).toMatchObject({ actor_type: 'account', actor_id: natural.account.id });
  });

  test('when a recent audit row is updated or deleted, then the database refuses', async () => {
    const natural = await createNaturalAccount(app);
    const [event] = await eventsFor(natural.account.id);
    await expect(app.context.db('audit_events').where({ id: event.id }).update({ outcome: 'failure' })).rejects.toThrow(/append-only/);
    await expect(app.context.db('audit_events').where({ id: event.id }).delete()).rejects.toThrow(/append-only/);
    const [unchanged] = await eventsFor(natural.account.id);
    expect(unchanged).toEqual(event);
  });

  test('when the audit table is truncated, then the database refuses (inside a transaction, rolled back either way)', async () => {
    const attempt = app.context.db.transaction(async (trx) => {
      await trx.raw('truncate audit_events');
      throw new Error('truncate was allowed');
    });
    await expect(attempt).rejects.toThrow(/append-only/);
  });

  test('when a row is past the 180-day retention, then it may be deleted (and only then)', async () => {
    const subject = unique('old');
    const [{ id }] = await app.context
      .db('audit_events')
      .insert({ event: 'test.retention', outcome: 'success', actor_type: 'system', subject_type: 'test', subject_id: subject, occurred_at: app.context.db.raw("now() - interval '181 days'") })
      .returning('id');
    await expect(app.context.db('audit_events').where({ id }).update({ outcome: 'failure' })).rejects.toThrow(/append-only/);
    expect(await app.context.db('audit_events').where({ id }).delete()).toBe(1);
  });
});
