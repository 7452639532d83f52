/**
 * Business systems' access policies (SPEC §2, §5, §9), enforced by the interaction policy's checks:
 * account kinds, real-name verification, and the entity a natural account acts for (act_for).
 * Driven by real relying parties (openid-client) against the OP on PostgreSQL.
 */
import { createLegalAccount, createNaturalAccount, credentials, uniqueUscc, type CreatedAccount } from '../support/accounts.js';
import { uniqueName, uniqueResidentId } from '../support/identities.js';
import { TestRelyingParty } from '../support/oidc-rp.js';
import { createApplicant, createOperator, openCase } from '../support/review.js';
import { startTestApp, unique, uniqueMobile, type TestApp } from '../support/test-app.js';
import { alertText, formAction, hiddenInput, selectedTab, UserAgent } from '../support/user-agent.js';

/** The shipped hightech and sme systems' policy (config/clients.json). */
const SHIPPED_POLICY = { account_kinds: ['legal', 'natural'], real_name_required: true, entity_authorization_required: true };

type Page = { url: string; status: number; body: string; headers?: Headers };

describe('access policies of business systems', () => {
  let app: TestApp;
  const hightech = new TestRelyingParty(unique('hightech'), 'rp-secret-0123456789-0123456789-a1');
  const sme = new TestRelyingParty(unique('sme'), 'rp-secret-0123456789-0123456789-a2');
  const open = new TestRelyingParty(unique('open'), 'rp-secret-0123456789-0123456789-a3');
  const legalOnly = new TestRelyingParty(unique('legal'), 'rp-secret-0123456789-0123456789-a4');
  const agentsOnly = new TestRelyingParty(unique('agents'), 'rp-secret-0123456789-0123456789-a5');
  const thirdParty = new TestRelyingParty(unique('third'), 'rp-secret-0123456789-0123456789-a6');
  const rps = [hightech, sme, open, legalOnly, agentsOnly, thirdParty];

  beforeAll(async () => {
    await Promise.all(rps.map((rp) => rp.listen()));
    app = await startTestApp({
      clients: [
        hightech.clientEntry({ policy: SHIPPED_POLICY }),
        sme.clientEntry({ policy: SHIPPED_POLICY }),
        open.clientEntry({ policy: { account_kinds: ['natural', 'legal'], real_name_required: false } }),
        legalOnly.clientEntry({ policy: { account_kinds: ['legal'], real_name_required: false } }),
        agentsOnly.clientEntry({ policy: { account_kinds: ['natural'], real_name_required: false, entity_authorization_required: true } }),
        thirdParty.clientEntry({ first_party: false, policy: SHIPPED_POLICY }),
      ],
    });
    await Promise.all(rps.map((rp) => rp.discover(app.url)));
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all(rps.map((rp) => rp.close()));
  });

  const ORG_SCOPE = { scope: 'openid profile org real_name' };

  /** Opens a sign-in at `rp` and logs in on the login page: the page after it (or the RP's callback). */
  async function signInTo(rp: TestRelyingParty, user: CreatedAccount, params: Record<string, string> = {}, agent = new UserAgent()) {
    const { request, page } = await rp.openAuthorization(agent, { ...ORG_SCOPE, ...params });
    const next = await rp.submitLogin(agent, page, credentials(user));
    return { agent, request, page: next as Page };
  }

  /** Posts the page's form whose action matches `action`, with its CSRF token, following redirects up to the RP. */
  function submitForm(agent: UserAgent, rp: TestRelyingParty, page: Page, action: RegExp, form: Record<string, string> = {}) {
    const url = formAction(page.body, action, page.url);
    if (!url) throw new Error(`no form ${action} at ${page.url}: ${page.body.slice(0, 400)}`);
    return agent.submit(url, { csrf: hiddenInput(page.body, 'csrf')!, ...form }, rp.redirectUri) as Promise<Page>;
  }

  const atRp = (rp: TestRelyingParty, page: Page) => page.url.startsWith(rp.redirectUri);
  const interactionUid = (page: Page) => /\/interaction\/([A-Za-z0-9_-]+)/.exec(page.url)![1]!;

  /** An entity (verified legal account) that authorizes `agent` for `systems`. */
  async function authorizingEntity(agent: CreatedAccount, systems: string[] | 'all') {
    const entity = await createLegalAccount(app, { orgName: `${uniqueName()}科技有限公司`, realNameVerified: true });
    const authorizationId = await app.context.authorizations.grant({
      legalAccountId: entity.account.id,
      agentAccountId: agent.account.id,
      systems,
      origin: 'portal',
      grantedBy: entity.account.id,
    });
    return { entity, authorizationId, uscc: entity.account.legal!.uscc!, orgName: entity.account.legal!.orgName };
  }

  const verifiedAgent = () => createNaturalAccount(app, { name: uniqueName(), realNameVerified: true });

  const auditEvents = (event: string, actorId: string) =>
    app.context.db('audit_events').where({ event, actor_id: actorId }).orderBy('id').select('outcome', 'subject_id', 'details');

  describe('real-name verification', () => {
    /** A unit with its legal representative, and a legal account for it that is not verified yet. */
    async function unverifiedUnit() {
      const uscc = uniqueUscc();
      const orgName = `${uniqueName()}科技有限公司`;
      const rep = { name: uniqueName(), mobile: uniqueMobile(), identityType: 'mainland', documentType: 'resident_id', documentNumber: uniqueResidentId(), documentLongTerm: 'on' };
      const legal = await createLegalAccount(app, { uscc, orgName, legalRepresentative: rep });
      return { legal, uscc, orgName, rep };
    }

    test('when an unverified legal account signs in to a hightech-like system, then it is led to the real-name page, and once its unit is in the register 立即认证 completes the same sign-in with uscc in the ID token', async () => {
      const unit = await unverifiedUnit();
      const { agent, request, page } = await signInTo(hightech, unit.legal, { login_type: 'legal' });

      expect(page.status).toBe(200);
      expect(page.url).toMatch(new RegExp(`^${app.url}/interaction/`));
      expect(page.body).toContain('需要完成实名认证');
      expect(page.body).toContain(`您正在登录：测试系统 ${hightech.clientId}`);
      expect(page.body).toContain('该系统仅接受已通过实名认证的账号登录');
      expect(page.body).toContain('未实名认证');
      const back = encodeURIComponent(`/interaction/${interactionUid(page)}`);
      expect(page.body).toContain(`href="/portal/me?return_to=${back}#legal-title"`);
      expect(page.body).toContain(`href="/portal/me?return_to=${back}#legal-upload-title"`);

      // Not in the register yet: a mismatch, said in the unit's terms; the sign-in waits.
      const mismatch = await submitForm(agent, hightech, page, /\/verify$/);
      expect(mismatch.status).toBe(200);
      expect(mismatch.body).toContain('单位名称、统一社会信用代码与法定代表人姓名不一致');
      expect((await app.context.accounts.findById(unit.legal.account.id))!.realNameStatus).toBe('unverified');

      await app.context.referenceEntities.upsert([{ uscc: unit.uscc, orgName: unit.orgName, legalRepresentativeName: unit.rep.name }]);
      const done = await submitForm(agent, hightech, mismatch, /\/verify$/);
      expect(atRp(hightech, done)).toBe(true);
      const tokens = await hightech.callback(done.url, request);
      expect(tokens.claims()).toMatchObject({
        sub: unit.legal.account.id,
        account_type: 'legal',
        uscc: unit.uscc,
        org_name: unit.orgName,
        real_name_status: 'verified',
      });
      expect(tokens.claims()).not.toHaveProperty('act_for');
      const refused = await auditEvents('access.refused', unit.legal.account.id);
      expect(refused).toEqual([expect.objectContaining({ outcome: 'refused', subject_id: hightech.clientId, details: expect.objectContaining({ reason: 'real_name' }) })]);
    });

    test('when a natural account under manual review signs in, then the page says 审核中 and offers no verification; after the approval 继续登录 completes the sign-in', async () => {
      const applicant = await createApplicant(app);
      const reviewCase = await openCase(app, applicant.account.id);
      const { agent, request, page } = await signInTo(sme, applicant);
      expect(page.body).toContain('审核中');
      expect(page.body).toContain('您提交的材料正在人工审核');
      expect(formAction(page.body, /\/verify$/, page.url)).toBeUndefined();

      // Still waiting: 继续登录 shows the same page.
      const waiting = await agent.follow(page.url, sme.redirectUri);
      expect(waiting.body).toContain('您提交的材料正在人工审核');

      const reviewer = await createOperator(app, 'reviewer');
      await app.context.reviews.approve(reviewCase.id, { id: reviewer.id });
      await authorizingEntity(applicant, [sme.clientId]);
      const done = await agent.follow(page.url, sme.redirectUri);
      expect(atRp(sme, done)).toBe(true);
      expect((await sme.callback(done.url, request)).claims()).toMatchObject({ sub: applicant.account.id, real_name_status: 'reviewed' });
    });

    test('when an account whose review was rejected signs in, then the page shows the reviewer’s reason and the ways to fix it', async () => {
      const applicant = await createApplicant(app);
      const reviewCase = await openCase(app, applicant.account.id);
      const reviewer = await createOperator(app, 'reviewer');
      await app.context.reviews.reject(reviewCase.id, '证件照片模糊，请重新拍摄', { id: reviewer.id });
      const { page } = await signInTo(hightech, applicant);
      expect(page.body).toContain('审核未通过');
      expect(page.body).toContain('原因：证件照片模糊，请重新拍摄');
      expect(formAction(page.body, /\/verify$/, page.url)).toBeDefined();
    });

    test('when 立即认证 is pressed again and again, then after ten tries in ten minutes the page asks to wait (429) and the sign-in stays open', async () => {
      const natural = await createNaturalAccount(app);
      let { agent, page } = await signInTo(hightech, natural);
      for (let attempt = 1; attempt <= 10; attempt += 1) {
        page = await submitForm(agent, hightech, page, /\/verify$/);
        expect(page.status).toBe(200);
        expect(page.body).toContain('请先填写姓名、证件类型和证件号码');
      }
      const limited = await submitForm(agent, hightech, page, /\/verify$/);
      expect(limited.status).toBe(429);
      expect(limited.body).toContain('操作过于频繁');
      expect(limited.body).toContain('需要完成实名认证');
    });

    test('when the system asks for English, then the real-name page is in English', async () => {
      const natural = await createNaturalAccount(app);
      const { page } = await signInTo(hightech, natural, { ui_locales: 'en' });
      expect(page.body).toContain('Real-name verification required');
      expect(page.body).toContain('Verify now');
      expect(page.body).toContain('Back to the system');
    });

    test('when the system does not require real-name verification, then an unverified account signs in directly', async () => {
      const natural = await createNaturalAccount(app);
      const { request, page } = await signInTo(open, natural);
      expect(atRp(open, page)).toBe(true);
      expect((await open.callback(page.url, request)).claims()).toMatchObject({ sub: natural.account.id, real_name_status: 'unverified' });
    });

    test('when a user signed in to a lenient system opens a hightech-like one, then single sign-on still runs its own policy: the real-name page, no code', async () => {
      const natural = await createNaturalAccount(app);
      const { agent } = await signInTo(open, natural);
      const { page } = await hightech.openAuthorization(agent, ORG_SCOPE);
      expect(atRp(hightech, page)).toBe(false);
      expect(page.body).toContain('需要完成实名认证');
    });

    test('when 完善信息 leads to My Information with return_to, then My Information offers 返回继续登录 back to that sign-in, and forgets it once the sign-in has ended', async () => {
      const natural = await createNaturalAccount(app, { name: uniqueName() });
      const { agent, page } = await signInTo(hightech, natural);
      const path = `/interaction/${interactionUid(page)}`;

      // The portal signs in by single sign-on on the way.
      const me = await agent.follow(`${app.url}/portal/me?return_to=${encodeURIComponent(path)}`);
      expect(me.url).toBe(`${app.url}/portal/me?return_to=${encodeURIComponent(path)}`);
      expect(me.body).toContain('返回继续登录');
      expect(me.body).toContain(`href="${path}"`);
      // Remembered for the pages that follow a save.
      const later = await agent.follow(`${app.url}/portal/me?saved=profile`);
      expect(later.body).toContain(`href="${path}"`);

      // Back in the sign-in, the user gives up: the way back is gone.
      const back = await agent.follow(`${app.url}${path}`);
      await submitForm(agent, hightech, back, /\/abort$/);
      const after = await agent.follow(`${app.url}/portal/me`);
      expect(after.body).not.toContain('返回继续登录');
    });

    test('when My Information is given a return_to that is not a sign-in on this OP, then it offers no way back', async () => {
      const natural = await createNaturalAccount(app);
      const { agent } = await signInTo(open, natural);
      for (const target of ['https://evil.example/interaction/abc', '//evil.example', '/portal/me', '/interaction/abc/../../x']) {
        const me = await agent.follow(`${app.url}/portal/me?return_to=${encodeURIComponent(target)}`);
        expect(me.status).toBe(200);
        expect(me.body).not.toContain('返回继续登录');
      }
    });
  });

  describe('the entity a natural account acts for', () => {
    test('when a verified natural account without any authorization signs in, then the refusal page explains agents, and going back gives access_denied at the system', async () => {
      const natural = await verifiedAgent();
      const { agent, request, page } = await signInTo(hightech, natural);
      expect(page.status).toBe(403);
      expect(page.body).toContain('无法登录该系统');
      expect(alertText(page.body)).toContain('没有任何单位对该系统的有效代办授权');
      expect(page.body).toContain('什么是代办人？');
      expect(page.body).toContain(natural.loginName);
      expect(page.body).toContain('切换账号');

      const back = await submitForm(agent, hightech, page, /\/abort$/);
      const callback = new URL(back.url);
      expect(atRp(hightech, back)).toBe(true);
      expect(callback.searchParams.get('error')).toBe('access_denied');
      expect(callback.searchParams.get('state')).toBe(request.state);
      expect(callback.searchParams.has('code')).toBe(false);
      const refused = await auditEvents('access.refused', natural.account.id);
      expect(refused.at(-1)).toMatchObject({ subject_id: hightech.clientId, details: { reason: 'no_authorization' } });
    });

    test('when an unverified natural account holds an authorization, then it does not count and the refusal page says why', async () => {
      const natural = await createNaturalAccount(app);
      await authorizingEntity(natural, 'all');
      const { page } = await signInTo(agentsOnly, natural);
      expect(alertText(page.body)).toContain('没有任何单位对该系统的有效代办授权');
      expect(page.body).toContain('您的账号尚未通过实名认证，已有的代办授权暂不生效');
    });

    test('when a natural account with two authorizations signs in, then it picks one and gets act_for in the ID token and userinfo, and the refresh keeps it', async () => {
      const natural = await verifiedAgent();
      const first = await authorizingEntity(natural, [hightech.clientId]);
      const second = await authorizingEntity(natural, 'all');
      await authorizingEntity(natural, [sme.clientId]); // for another system: not offered here

      const { agent, request, page } = await signInTo(hightech, natural, { scope: 'openid profile org offline_access', prompt: 'consent' });
      expect(page.body).toContain('选择代办单位');
      expect(page.body).toContain(first.orgName);
      expect(page.body).toContain(second.orgName);
      expect(page.body).toContain(`统一社会信用代码：${second.uscc}`);
      expect((page.body.match(/name="authorizationId"/g) ?? []).length).toBe(2);

      const done = await submitForm(agent, hightech, page, /\/entity$/, { authorizationId: second.authorizationId });
      expect(atRp(hightech, done)).toBe(true);
      const tokens = await hightech.callback(done.url, request);
      const actFor = {
        uscc: second.uscc,
        org_name: second.orgName,
        authorized_systems: expect.arrayContaining([hightech.clientId, sme.clientId, open.clientId, legalOnly.clientId]),
      };
      expect(tokens.claims()).toMatchObject({ sub: natural.account.id, account_type: 'natural', act_for: actFor });
      expect(tokens.claims()!.act_for).toEqual(expect.objectContaining({ authorized_systems: expect.not.arrayContaining(['portal']) }));
      expect(await hightech.userinfo(tokens.access_token, natural.account.id)).toMatchObject({ act_for: actFor });

      const refreshed = await hightech.refresh(tokens.refresh_token!);
      expect(refreshed.claims()).toMatchObject({ act_for: actFor });

      const chosen = await auditEvents('access.entity_selected', natural.account.id);
      expect(chosen.at(-1)).toMatchObject({
        outcome: 'success',
        subject_id: second.entity.account.id,
        details: { clientId: hightech.clientId, authorizationId: second.authorizationId, uscc: second.uscc, method: 'picked' },
      });
    });

    test('when the grant of a sign-in ends, then its entity selection goes with it', async () => {
      const natural = await verifiedAgent();
      await authorizingEntity(natural, [hightech.clientId]);
      const { request, page } = await signInTo(hightech, natural);
      await hightech.callback(page.url, request);
      const [selection] = await app.context.db('oidc_entity_selections').where({ agent_account_id: natural.account.id });
      expect(selection).toBeDefined();
      await app.context.db('oidc_models').where({ kind: 'Grant', id: selection.grant_id }).delete();
      expect(await app.context.db('oidc_entity_selections').where({ agent_account_id: natural.account.id })).toHaveLength(0);
    });

    test('when the picker is posted with an authorization that is not offered, or without its CSRF token, then nothing is chosen', async () => {
      const natural = await verifiedAgent();
      await authorizingEntity(natural, [hightech.clientId]);
      await authorizingEntity(natural, [hightech.clientId]);
      const other = await authorizingEntity(natural, [sme.clientId]);
      const { agent, page } = await signInTo(hightech, natural);

      const wrong = await submitForm(agent, hightech, page, /\/entity$/, { authorizationId: other.authorizationId });
      expect(wrong.status).toBe(400);
      expect(alertText(wrong.body)).toBe('请选择要代办的单位');
      expect(wrong.body).toContain('aria-invalid="true"');

      const forged = await agent.request(formAction(page.body, /\/entity$/, page.url)!, { form: { authorizationId: other.authorizationId } });
      expect(forged.status).toBe(403);
    });

    test('when a natural account has one authorization for the system, then it is chosen without a page', async () => {
      const natural = await verifiedAgent();
      const only = await authorizingEntity(natural, [hightech.clientId, sme.clientId]);
      const { agent, request, page } = await signInTo(hightech, natural);
      expect(atRp(hightech, page)).toBe(true);
      expect(agent.history.some((url) => url.includes('/entity'))).toBe(false);
      expect((await hightech.callback(page.url, request)).claims()!.act_for).toEqual({
        uscc: only.uscc,
        org_name: only.orgName,
        authorized_systems: [hightech.clientId, sme.clientId].sort(),
      });
    });

    test('when the system asks for an entity the account is authorized by, then there is no picker and act_for is that entity', async () => {
      const natural = await verifiedAgent();
      await authorizingEntity(natural, 'all');
      const wanted = await authorizingEntity(natural, 'all');
      const { request, page } = await signInTo(hightech, natural, { entity: wanted.uscc.toLowerCase() });
      expect(atRp(hightech, page)).toBe(true);
      expect((await hightech.callback(page.url, request)).claims()!.act_for).toMatchObject({ uscc: wanted.uscc, org_name: wanted.orgName });
    });

    test('when the system asks for an entity the account is not authorized by, then the sign-in is refused with a clear page and access_denied', async () => {
      const natural = await verifiedAgent();
      await authorizingEntity(natural, 'all');
      await authorizingEntity(natural, 'all');
      const stranger = uniqueUscc();
      const { agent, page } = await signInTo(hightech, natural, { entity: stranger });
      expect(page.body).toContain('无法登录该系统');
      expect(alertText(page.body)).toContain(`要求代办统一社会信用代码为 ${stranger} 的单位`);
      const back = await submitForm(agent, hightech, page, /\/abort$/);
      expect(new URL(back.url).searchParams.get('error')).toBe('access_denied');
    });

    test('when a legal account signs in to a system asking for another entity, then it is refused; for its own USCC it goes through', async () => {
      const legal = await createLegalAccount(app, { realNameVerified: true });
      const refused = await signInTo(hightech, legal, { entity: uniqueUscc() });
      expect(alertText(refused.page.body)).toContain('您登录的法人账号不是该单位');

      const own = await signInTo(hightech, legal, { entity: legal.account.legal!.uscc! });
      expect(atRp(hightech, own.page)).toBe(true);
      const claims = (await hightech.callback(own.page.url, own.request)).claims()!;
      expect(claims).toMatchObject({ uscc: legal.account.legal!.uscc, org_name: legal.account.legal!.orgName, org_type: 'enterprise', registration_region: 'domestic' });
      expect(claims).not.toHaveProperty('act_for');
    });

    test('when the entity parameter is not a USCC, then the system gets invalid_request', async () => {
      const agent = new UserAgent();
      const { page } = await hightech.openAuthorization(agent, { entity: 'not-a-uscc' });
      const callback = new URL(page.url);
      expect(atRp(hightech, page)).toBe(true);
      expect(callback.searchParams.get('error')).toBe('invalid_request');
    });

    test('when the authorization is revoked, then the refresh fails with invalid_grant, userinfo stops releasing act_for, and the next sign-in is refused', async () => {
      const natural = await verifiedAgent();
      const only = await authorizingEntity(natural, [hightech.clientId]);
      const { agent, request, page } = await signInTo(hightech, natural, { scope: 'openid profile org offline_access', prompt: 'consent' });
      const tokens = await hightech.callback(page.url, request);
      expect(tokens.claims()!.act_for).toMatchObject({ uscc: only.uscc });

      expect(await app.context.authorizations.revoke(only.entity.account.id, only.authorizationId, only.entity.account.id)).toBeDefined();
      await expect(hightech.refresh(tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
      const userinfo = await hightech.userinfo(tokens.access_token, natural.account.id);
      expect(userinfo).toMatchObject({ sub: natural.account.id });
      expect(userinfo).not.toHaveProperty('act_for');

      const next = await hightech.openAuthorization(agent, ORG_SCOPE);
      expect(next.page.body).toContain('没有任何单位对该系统的有效代办授权');
      const refused = await auditEvents('access.refused', natural.account.id);
      expect(refused.map((event) => event.details.reason)).toEqual(['authorization_ended', 'no_authorization']);
    });

    test('when the agent is no longer real-name verified, then its refresh fails with invalid_grant', async () => {
      const natural = await verifiedAgent();
      await authorizingEntity(natural, [hightech.clientId]);
      const { request, page } = await signInTo(hightech, natural, { scope: 'openid org offline_access', prompt: 'consent' });
      const tokens = await hightech.callback(page.url, request);
      await app.context.accounts.setRealNameStatus(natural.account.id, 'rejected');
      await expect(hightech.refresh(tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    });

    test('when the user signs in to the same system again and chooses another entity, then the new tokens act for it and the earlier refresh token ends', async () => {
      const natural = await verifiedAgent();
      const a = await authorizingEntity(natural, 'all');
      const b = await authorizingEntity(natural, 'all');
      const first = await signInTo(hightech, natural, { scope: 'openid org offline_access', prompt: 'consent' });
      const firstTokens = await hightech.callback(
        (await submitForm(first.agent, hightech, first.page, /\/entity$/, { authorizationId: a.authorizationId })).url,
        first.request,
      );
      expect(firstTokens.claims()!.act_for).toMatchObject({ uscc: a.uscc });

      // Single sign-on: no login page, but the picker again.
      const again = await hightech.openAuthorization(first.agent, { scope: 'openid org offline_access', prompt: 'consent' });
      expect(again.page.body).toContain('选择代办单位');
      const done = await submitForm(first.agent, hightech, again.page, /\/entity$/, { authorizationId: b.authorizationId });
      const secondTokens = await hightech.callback(done.url, again.request);
      expect(secondTokens.claims()!.act_for).toMatchObject({ uscc: b.uscc });
      expect((await hightech.refresh(secondTokens.refresh_token!)).claims()!.act_for).toMatchObject({ uscc: b.uscc });
      await expect(hightech.refresh(firstTokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    });

    test('when an agent signed in to one system opens another, then the other runs its own choice and no choice leaks between them', async () => {
      const natural = await verifiedAgent();
      const forHightech = await authorizingEntity(natural, [hightech.clientId]);
      const forSme = await authorizingEntity(natural, [sme.clientId]);
      const first = await signInTo(hightech, natural);
      expect((await hightech.callback(first.page.url, first.request)).claims()!.act_for).toMatchObject({ uscc: forHightech.uscc });

      const toSme = await sme.openAuthorization(first.agent, ORG_SCOPE);
      expect(atRp(sme, toSme.page)).toBe(true);
      const smeTokens = await sme.callback(toSme.page.url, toSme.request);
      expect(smeTokens.claims()!.act_for).toMatchObject({ uscc: forSme.uscc });
      expect(await sme.userinfo(smeTokens.access_token, natural.account.id)).toMatchObject({ act_for: { uscc: forSme.uscc } });

      // A system that needs no entity gets none, even when it names one.
      const toOpen = await open.openAuthorization(first.agent, { ...ORG_SCOPE, entity: forSme.uscc });
      const openTokens = await open.callback(toOpen.page.url, toOpen.request);
      expect(openTokens.claims()).not.toHaveProperty('act_for');
      expect(await open.userinfo(openTokens.access_token, natural.account.id)).not.toHaveProperty('act_for');
    });

    test('when a system that is not first-party needs an entity, then the consent page comes first and the picker binds the grant it made', async () => {
      const natural = await verifiedAgent();
      await authorizingEntity(natural, 'all');
      const wanted = await authorizingEntity(natural, 'all');
      const { agent, request, page } = await signInTo(thirdParty, natural);
      expect(page.body).toContain('授权确认');
      const picker = await submitForm(agent, thirdParty, page, /\/confirm$/);
      expect(picker.body).toContain('选择代办单位');
      const done = await submitForm(agent, thirdParty, picker, /\/entity$/, { authorizationId: wanted.authorizationId });
      const tokens = await thirdParty.callback(done.url, request);
      expect(tokens.claims()!.act_for).toMatchObject({ uscc: wanted.uscc });
      expect(await thirdParty.userinfo(tokens.access_token, natural.account.id)).toMatchObject({ act_for: { uscc: wanted.uscc } });
    });

    test('when prompt=none needs the picker, then the system gets interaction_required', async () => {
      const natural = await verifiedAgent();
      await authorizingEntity(natural, 'all');
      await authorizingEntity(natural, 'all');
      const { agent } = await signInTo(open, natural);
      const { page } = await hightech.openAuthorization(agent, { ...ORG_SCOPE, prompt: 'none' });
      expect(new URL(page.url).searchParams.get('error')).toBe('interaction_required');
    });
  });

  describe('account kinds', () => {
    test('when a natural account signs in to a system that accepts only legal accounts, then the login page comes back naming the accepted kind, with the legal window chosen', async () => {
      const natural = await createNaturalAccount(app);
      const { page } = await signInTo(legalOnly, natural);
      expect(page.status).toBe(200);
      expect(page.body).toContain('name="password"');
      expect(selectedTab(page.body)).toBe('legal');
      expect(page.body).toContain(`您当前登录的是自然人账号，“测试系统 ${legalOnly.clientId}”仅接受法人账号登录。`);
      const refused = await auditEvents('access.refused', natural.account.id);
      expect(refused.at(-1)).toMatchObject({ subject_id: legalOnly.clientId, details: { reason: 'account_kind', accountKind: 'natural' } });
    });

    test('when the login page for a legal-only system is opened, then it says so and opens the legal window', async () => {
      const { page } = await legalOnly.openAuthorization(new UserAgent());
      expect(selectedTab(page.body)).toBe('legal');
      expect(page.body).toContain(`“测试系统 ${legalOnly.clientId}”仅接受法人账号登录。`);
    });

    test('when the user then signs in with a legal account, then the natural session ends (its form is allowed by the page policy) and the legal account completes the sign-in', async () => {
      const natural = await createNaturalAccount(app);
      const legal = await createLegalAccount(app);
      const { agent, request, page } = await signInTo(legalOnly, natural);
      const switched = await legalOnly.submitLogin(agent, page, credentials(legal));

      // oidc-provider ends the other account's session with a self-submitting form; our CSP allows its script.
      expect(switched.body).toContain('/session/end/confirm');
      const csp = (switched as Page).headers?.get('content-security-policy') ?? '';
      expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
      const confirm = formAction(switched.body, /\/session\/end\/confirm$/, switched.url)!;
      const done = await agent.submit(confirm, { xsrf: hiddenInput(switched.body, 'xsrf')!, logout: 'yes' }, legalOnly.redirectUri);
      expect(atRp(legalOnly, done)).toBe(true);
      expect((await legalOnly.callback(done.url, request)).claims()).toMatchObject({ sub: legal.account.id, account_type: 'legal' });
    });

    test('when 切换账号 is used on a refusal page, then the login page opens in the same sign-in and a legal account completes it', async () => {
      const natural = await verifiedAgent();
      const legal = await createLegalAccount(app, { realNameVerified: true });
      const { agent, request, page } = await signInTo(hightech, natural);
      const switchUrl = new URL(/href="([^"]*\?window=legal)"/.exec(page.body)![1]!.replace(/&amp;/g, '&'), page.url).href;
      const login = await agent.follow(switchUrl);
      expect(selectedTab(login.body)).toBe('legal');
      expect(login.body).toContain('返回上一步');

      const switched = await hightech.submitLogin(agent, login as Page, credentials(legal));
      const confirm = formAction(switched.body, /\/session\/end\/confirm$/, switched.url)!;
      const done = await agent.submit(confirm, { xsrf: hiddenInput(switched.body, 'xsrf')!, logout: 'yes' }, hightech.redirectUri);
      expect(atRp(hightech, done)).toBe(true);
      expect((await hightech.callback(done.url, request)).claims()).toMatchObject({ sub: legal.account.id, uscc: legal.account.legal!.uscc });
    });
  });
});
