import type { DestinationStream } from 'pino';
import { createLogger } from '../../src/logger.js';
import { createNaturalAccount, credentials } from '../support/accounts.js';
import { TestRelyingParty } from '../support/oidc-rp.js';
import { startTestApp, unique } from '../support/test-app.js';
import { UserAgent } from '../support/user-agent.js';

/** A pino destination that keeps every line written to it. */
function capture(): DestinationStream & { lines: string[]; text(): string } {
  const lines: string[] = [];
  return {
    lines,
    write(line: string) {
      lines.push(line);
    },
    text: () => lines.join(''),
  };
}

describe('log redaction', () => {
  const secrets = {
    password: 'Pa55word-top-secret',
    mobile: '13912345678',
    code: '864213',
    documentNumber: '11010519491231002X',
  };

  test('when secrets are logged as top-level fields, then they are written as [redacted]', () => {
    const out = capture();
    createLogger('info', out).info({ password: secrets.password, mobile: secrets.mobile, code: secrets.code, loginName: 'alice' }, 'attempt');
    const line = JSON.parse(out.lines[0]!);
    expect(line).toMatchObject({ password: '[redacted]', mobile: '[redacted]', code: '[redacted]', loginName: 'alice', msg: 'attempt' });
    for (const value of Object.values(secrets)) expect(out.text()).not.toContain(value);
  });

  test('when secrets are logged one level down (a form body, an input object), then they are written as [redacted]', () => {
    const out = capture();
    createLogger('info', out).info(
      {
        body: { password: secrets.password, password_confirmation: secrets.password, captcha: 'abcd', loginName: 'alice' },
        input: { mobile: secrets.mobile, code: secrets.code, document_number: secrets.documentNumber, documentNumber: secrets.documentNumber },
        tokens: { access_token: 'at-secret', refresh_token: 'rt-secret', id_token: 'it-secret' },
        client: { client_secret: 'cs-secret' },
      },
      'nested',
    );
    const line = JSON.parse(out.lines[0]!);
    expect(line.body).toEqual({ password: '[redacted]', password_confirmation: '[redacted]', captcha: '[redacted]', loginName: 'alice' });
    expect(line.input).toEqual({ mobile: '[redacted]', code: '[redacted]', document_number: '[redacted]', documentNumber: '[redacted]' });
    expect(line.tokens).toEqual({ access_token: '[redacted]', refresh_token: '[redacted]', id_token: '[redacted]' });
    expect(line.client).toEqual({ client_secret: '[redacted]' });
  });

  test('when an error with a code is logged, then its code stays readable as errorCode', () => {
    const out = capture();
    const error = Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' });
    createLogger('info', out).error({ err: error }, 'insert failed');
    const line = JSON.parse(out.lines[0]!);
    expect(line.err).toMatchObject({ type: 'Error', message: 'duplicate key value violates unique constraint', errorCode: '23505' });
  });

  test('when a database error is logged, then its detail, which quotes the clashing values, is not', () => {
    const out = capture();
    const error = Object.assign(new Error('duplicate key value violates unique constraint "accounts_login_name_key_unique"'), {
      code: '23505',
      constraint: 'accounts_login_name_key_unique',
      detail: `Key (login_name_key)=(${secrets.mobile}) already exists.`,
    });
    createLogger('info', out).error({ err: error }, 'insert failed');
    const line = JSON.parse(out.lines[0]!);
    expect(line.err).toMatchObject({ errorCode: '23505', constraint: 'accounts_login_name_key_unique' });
    expect(line.err).not.toHaveProperty('detail');
    expect(out.text()).not.toContain(secrets.mobile);
  });

  test('when request headers are logged, then the authorization header, cookies and redirect locations are redacted', () => {
    const out = capture();
    createLogger('info', out).info(
      {
        req: { headers: { authorization: 'Basic c2VjcmV0', cookie: '_session=abc', 'user-agent': 'jest' } },
        res: { headers: { 'set-cookie': ['_session=abc'], location: 'https://rp.example.cn/callback?code=xyz' } },
      },
      'http',
    );
    const line = JSON.parse(out.lines[0]!);
    expect(line.req.headers).toEqual({ authorization: '[redacted]', cookie: '[redacted]', 'user-agent': 'jest' });
    expect(line.res.headers).toEqual({ 'set-cookie': '[redacted]', location: '[redacted]' });
  });

  test('when a user signs in through the running app, then its logs hold neither the password nor the authorization query string or code', async () => {
    const out = capture();
    const rp = new TestRelyingParty(unique('rp'), 'rp-secret-0123456789-0123456789-7a');
    await rp.listen();
    const app = await startTestApp({ clients: [rp.clientEntry()], env: { LOG_LEVEL: 'info' }, logDestination: out });
    try {
      await rp.discover(app.url);
      const natural = await createNaturalAccount(app, { password: 'Unique-Log-Password-77' });
      const agent = new UserAgent();
      const { request, page } = await rp.openAuthorization(agent);
      const done = await rp.submitLogin(agent, page, credentials(natural));
      await rp.callback(done.url, request);
      const code = new URL(done.url).searchParams.get('code')!;

      const text = out.text();
      expect(out.lines.some((l) => JSON.parse(l).msg === 'request')).toBe(true);
      expect(text).toContain('/interaction/');
      expect(text).not.toContain('Unique-Log-Password-77');
      expect(text).not.toContain(code);
      expect(text).not.toContain(request.state);
      expect(text).not.toContain('code_challenge');
      expect(text).not.toContain(natural.account.mobile);
    } finally {
      await app.close();
      await rp.close();
    }
  });
});
