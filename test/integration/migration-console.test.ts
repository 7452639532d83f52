/**
 * The console's migration reports (SPEC §8, §10) over HTTP against PostgreSQL: administrators read
 * the Torch Center import's runs and each run's conflicts, paged, with persons' mobiles masked;
 * reviewers are refused; every view is audited. The runs and outcomes are written here as the
 * import command writes them (its columns are in the migration).
 */
import crypto from 'node:crypto';
import { uniqueIp, uniqueUscc } from '../support/accounts.js';
import { consoleSignIn, createOperator, type TestOperator } from '../support/review.js';
import { startTestApp, unique, uniqueMobile, type TestApp } from '../support/test-app.js';
import { UserAgent } from '../support/user-agent.js';

type Page = { url: string; body: string; status: number };

const rows = (html: string, attribute: string) => [...html.matchAll(new RegExp(`<tr ${attribute}="([^"]+)"`, 'g'))].map((m) => m[1]!);
const cell = (html: string, legacyId: string, attribute: string) =>
  new RegExp(`<tr data-legacy-id="${legacyId}">[\\s\\S]*?<td [^>]*${attribute}>([^<]*)<`).exec(html)?.[1];

describe('the console’s migration reports', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ env: { TRUST_PROXY: 'true' } });
  });
  afterAll(async () => {
    await app?.close();
  });

  async function signedIn(role: 'admin' | 'reviewer'): Promise<{ agent: UserAgent; operator: TestOperator }> {
    const operator = await createOperator(app, role);
    const agent = new UserAgent({ 'x-forwarded-for': uniqueIp() });
    const page = await consoleSignIn(app, agent, operator);
    expect(page.url).toBe(`${app.url}/console/queue`);
    return { agent, operator };
  }

  /** A run as the import command records it. */
  async function insertRun(extra: Record<string, unknown> = {}) {
    const id = crypto.randomUUID();
    const file = `/srv/torch/${unique('export')}.jsonl`;
    await app.context.db('torch_runs').insert({
      id,
      mode: 'apply',
      file,
      status: 'completed',
      counts: JSON.stringify({ E1: 4, E2: 1, P1: 2, conflict: 3, malformed: 1 }),
      actor: 'cli',
      finished_at: new Date(),
      ...extra,
    });
    return { id, file };
  }

  /** One outcome; persons' mobiles encrypted with their blind index, as the import stores them. */
  async function insertOutcome(runId: string, outcome: { kind: 'enterprise' | 'personal'; login: string; case: string; loginName?: string | null; reason?: string | null }) {
    const legacyId = unique('legacy');
    const personal = outcome.kind === 'personal';
    await app.context.db('torch_outcomes').insert({
      legacy_id: legacyId,
      kind: outcome.kind,
      legacy_login_encrypted: personal ? app.context.crypt.encrypt(outcome.login) : outcome.login,
      legacy_login_key: personal ? app.context.crypt.blindIndex(outcome.login) : outcome.login,
      case: outcome.case,
      login_name: outcome.loginName ?? null,
      window: outcome.case === 'conflict' ? null : personal ? 'natural' : 'legal',
      reason: outcome.reason ?? null,
      run_id: runId,
    });
    return legacyId;
  }

  const viewsBy = (operatorId: string) =>
    app.context.db('audit_events').where({ event: 'console.migration_report_viewed', actor_id: operatorId }).orderBy('id').select('outcome', 'subject_type', 'subject_id', 'ip', 'details');

  test('when an administrator opens 迁移报告, then the runs are listed with mode, file, status, times and the figures per case, and the view is audited', async () => {
    const { agent, operator } = await signedIn('admin');
    const run = await insertRun();
    const dry = await insertRun({ mode: 'dry_run', status: 'running', finished_at: null, counts: JSON.stringify({}) });

    const queue = (await agent.follow(`${app.url}/console/queue`)) as Page;
    expect(queue.body).toContain('href="/console/migration"');
    const page = (await agent.follow(`${app.url}/console/migration`)) as Page;
    expect(page.status).toBe(200);
    expect(page.body).toContain('<h1 id="runs-title" class="card__title">火炬中心用户转移报告</h1>');
    expect(page.body).toMatch(/href="\/console\/migration" aria-current="page"/);
    expect(rows(page.body, 'data-run')).toEqual(expect.arrayContaining([run.id, dry.id]));

    const row = new RegExp(`<tr data-run="${run.id}">([\\s\\S]*?)</tr>`).exec(page.body)![1]!;
    expect(row).toContain('正式导入');
    expect(row).toContain(run.file);
    expect(row).toContain('已完成');
    for (const figure of ['E1 新建法人账号</span> <strong>4', 'E2 已有法人账号</span> <strong>1', 'P1 新建自然人账号</span> <strong>2', '冲突</span> <strong>3', '格式错误</span> <strong>1']) {
      expect(row).toContain(figure);
    }
    const dryRow = new RegExp(`<tr data-run="${dry.id}">([\\s\\S]*?)</tr>`).exec(page.body)![1]!;
    expect(dryRow).toContain('试运行');
    expect(dryRow).toContain('运行中');
    expect(dryRow).toContain('未结束');

    const [view] = await viewsBy(operator.id);
    expect(view).toMatchObject({ outcome: 'success', details: { view: 'runs', page: 1 } });
  });

  test('when an apply run marked running has written no batch for 10 minutes, then it is shown as interrupted; one still writing, and a dry run, as running', async () => {
    const { agent } = await signedIn('admin');
    const silentFor = (minutes: number) => app.context.db.raw(`now() - make_interval(mins => ?)`, [minutes]);
    const killed = await insertRun({ status: 'running', finished_at: null, heartbeat_at: silentFor(11) });
    const writing = await insertRun({ status: 'running', finished_at: null, heartbeat_at: silentFor(1) });
    const dry = await insertRun({ mode: 'dry_run', status: 'running', finished_at: null, heartbeat_at: silentFor(60) });

    const page = (await agent.follow(`${app.url}/console/migration`)) as Page;
    const status = (id: string) => /badge badge--run-(\w+)">([^<]+)</.exec(new RegExp(`<tr data-run="${id}">([\\s\\S]*?)</tr>`).exec(page.body)![1]!)!.slice(1);
    expect(status(killed.id)).toEqual(['interrupted', '已中断']);
    expect(status(writing.id)).toEqual(['running', '运行中']);
    expect(status(dry.id)).toEqual(['running', '运行中']);
    expect(await app.context.torchReport.run(killed.id)).toMatchObject({ status: 'interrupted' });
  });

  test('when an administrator opens a run, then its conflicts (malformed records among them) are listed 50 a page with their reasons, persons’ mobiles masked, and each page view is audited', async () => {
    const { agent, operator } = await signedIn('admin');
    const run = await insertRun({ counts: JSON.stringify({ cases: { E1: 1 }, conflict: 55 }) });
    const uscc = uniqueUscc();
    const mobile = uniqueMobile();
    const placed = await insertOutcome(run.id, { kind: 'enterprise', login: uniqueUscc(), case: 'E1', loginName: 'someone' });
    const enterprise = await insertOutcome(run.id, { kind: 'enterprise', login: uscc, case: 'conflict', loginName: `HJ_${uscc}`, reason: 'hj_name_taken' });
    const person = await insertOutcome(run.id, { kind: 'personal', login: mobile, case: 'conflict', loginName: `HJ_${mobile}`, reason: `malformed: email invalid for ${mobile}` });
    for (let i = 0; i < 53; i += 1) await insertOutcome(run.id, { kind: 'enterprise', login: uniqueUscc(), case: 'conflict', reason: 'uscc_check_character' });

    const first = (await agent.follow(`${app.url}/console/migration/runs/${run.id}`)) as Page;
    expect(first.status).toBe(200);
    const listed = rows(first.body, 'data-legacy-id');
    expect(listed).toHaveLength(50);
    expect(listed.slice(0, 2)).toEqual([enterprise, person]);
    expect(listed).not.toContain(placed);
    expect(first.body).toContain('第 1 / 2 页 · 第 1–50 条，共 55 条');
    expect(first.body).toContain(`href="/console/migration/runs/${run.id}?page=2"`);
    // Nested figures get dotted keys, and the import's (cases.E1 …) their names like the flat ones.
    expect(first.body).toMatch(/<th scope="row">E1 新建法人账号<\/th><td data-figure="cases.E1">1<\/td>/);
    expect(first.body).toMatch(/<th scope="row">冲突<\/th><td data-figure="conflict">55<\/td>/);

    expect(cell(first.body, enterprise, 'data-legacy-login')).toBe(uscc);
    expect(cell(first.body, enterprise, 'data-login-name')).toBe(`HJ_${uscc}`);
    expect(first.body).toContain('hj_name_taken');
    // A known reason in the page's words, the code kept beside it; an unknown one as recorded.
    expect(first.body).toContain('data-reason="hj_name_taken">登录名及 HJ_ 登录名均已被占用</td>');
    const masked = `${mobile.slice(0, 3)}****${mobile.slice(7)}`;
    expect(cell(first.body, person, 'data-legacy-login')).toBe(masked);
    expect(cell(first.body, person, 'data-login-name')).toBe(`HJ_${masked}`);
    expect(first.body).toContain(`malformed: email invalid for ${masked}`);
    expect(first.body).not.toContain(mobile);

    const second = (await agent.follow(`${app.url}/console/migration/runs/${run.id}?page=2`)) as Page;
    expect(second.status).toBe(200);
    expect(rows(second.body, 'data-legacy-id')).toHaveLength(5);
    expect(second.body).toContain('第 51–55 条，共 55 条');
    expect(second.body).toContain(`href="/console/migration/runs/${run.id}?page=1"`);
    expect((await agent.follow(`${app.url}/console/migration/runs/${run.id}?page=3`)).status).toBe(404);
    // A page that is not a number is the first page.
    expect(rows(((await agent.follow(`${app.url}/console/migration/runs/${run.id}?page=x`)) as Page).body, 'data-legacy-id')).toHaveLength(50);

    const views = await viewsBy(operator.id);
    expect(views.slice(0, 2)).toEqual([
      expect.objectContaining({ outcome: 'success', subject_type: 'torch_run', subject_id: run.id, details: { view: 'run', runId: run.id, page: 1 } }),
      expect.objectContaining({ outcome: 'success', subject_type: 'torch_run', subject_id: run.id, details: { view: 'run', runId: run.id, page: 2 } }),
    ]);
    expect(JSON.stringify(views)).not.toContain(mobile);
  });

  test('when a run recorded a malformed record with a legacy id but no kind or login, then its conflict is listed with blanks, not an error', async () => {
    const { agent } = await signedIn('admin');
    const run = await insertRun();
    const legacyId = unique('legacy');
    await app.context.db('torch_outcomes').insert({ legacy_id: legacyId, kind: null, legacy_login_encrypted: null, legacy_login_key: null, case: 'conflict', reason: 'unknown_kind', run_id: run.id, line: 7 });

    const page = (await agent.follow(`${app.url}/console/migration/runs/${run.id}`)) as Page;
    expect(page.status).toBe(200);
    expect(rows(page.body, 'data-legacy-id')).toEqual([legacyId]);
    expect(cell(page.body, legacyId, 'data-legacy-login')).toBe('—');
    expect(page.body).toContain('unknown_kind');
  });

  test('when a dry run is opened, then the page says a dry run keeps no per-record outcomes; an unknown run is 404', async () => {
    const { agent } = await signedIn('admin');
    const dry = await insertRun({ mode: 'dry_run' });
    const page = (await agent.follow(`${app.url}/console/migration/runs/${dry.id}`)) as Page;
    expect(page.status).toBe(200);
    expect(page.body).toContain('试运行不保存逐条结果');
    expect((await agent.follow(`${app.url}/console/migration/runs/${crypto.randomUUID()}`)).status).toBe(404);
    expect((await agent.follow(`${app.url}/console/migration/runs/not-a-run`)).status).toBe(404);
  });

  test('when a reviewer asks for the migration reports, then 403 with nothing of the reports, no link in the bar, and the refusal is audited', async () => {
    const { agent, operator } = await signedIn('reviewer');
    const run = await insertRun();
    await insertOutcome(run.id, { kind: 'enterprise', login: uniqueUscc(), case: 'conflict', reason: 'uscc_check_character' });

    const queue = (await agent.follow(`${app.url}/console/queue`)) as Page;
    expect(queue.body).not.toContain('/console/migration');
    for (const path of ['/console/migration', `/console/migration/runs/${run.id}`]) {
      const page = (await agent.follow(`${app.url}${path}`)) as Page;
      expect(page.status).toBe(403);
      expect(page.body).toContain('迁移报告仅限管理员查看。');
      expect(page.body).not.toContain(run.file);
      expect(page.body).not.toContain('uscc_check_character');
    }
    const views = await viewsBy(operator.id);
    expect(views.map((v) => [v.outcome, v.details.path, v.details.role])).toEqual([
      ['refused', '/console/migration', 'reviewer'],
      ['refused', `/console/migration/runs/${run.id}`, 'reviewer'],
    ]);
  });

  test('when nobody is signed in to the console, then the reports lead to the console sign-in', async () => {
    const agent = new UserAgent({ 'x-forwarded-for': uniqueIp() });
    const response = await agent.request(`${app.url}/console/migration`);
    expect(response.status).toBe(303);
    expect(response.location).toBe(`${app.url}/console/sign-in`);
  });
});
