/**
 * A business system's access policy in a real browser (headless Debian Chromium): a natural person
 * signs in to a system with the shipped hightech policy (real-name verification and an entity
 * authorization required), is led to the real-name page, detours to My Information and back
 * (返回继续登录), verifies with 立即认证, picks the unit to act for, and lands at the system with
 * act_for in the ID token. On a phone (375 px): the same pages without horizontal scrolling, and
 * the refusal page of a person no unit has authorized. Screenshots: test-artifacts/screenshots/access-*.png.
 */
import type { Page } from 'playwright-core';
import { createLegalAccount, createNaturalAccount, type CreatedAccount } from '../support/accounts.js';
import { heading, pageWidth, screenshot, signInAtWindow, TestBrowser } from '../support/browser.js';
import { uniqueName, uniqueResidentId } from '../support/identities.js';
import { TestRelyingParty } from '../support/oidc-rp.js';
import { startTestApp, unique, type TestApp } from '../support/test-app.js';

const SHIPPED_POLICY = { account_kinds: ['legal', 'natural'], real_name_required: true, entity_authorization_required: true };
const PHONE = { viewport: { width: 375, height: 812 } };

describe('access policies in a real browser', () => {
  let app: TestApp;
  const browser = new TestBrowser();
  const rp = new TestRelyingParty(unique('hightech'), 'rp-secret-0123456789-0123456789-ae');
  const legalOnly = new TestRelyingParty(unique('legal'), 'rp-secret-0123456789-0123456789-af');

  beforeAll(async () => {
    await Promise.all([rp.listen(), legalOnly.listen()]);
    app = await startTestApp({
      clients: [rp.clientEntry({ policy: SHIPPED_POLICY }), legalOnly.clientEntry({ policy: { account_kinds: ['legal'] } })],
      env: { ADDRESS_LOGIN_FAILURES: '100000' },
    });
    await Promise.all([rp.discover(app.url), legalOnly.discover(app.url)]);
    await browser.launch();
  }, 60_000);
  afterEach(() => browser.closeContexts());
  afterAll(async () => {
    await browser.close();
    await app?.close();
    await Promise.all([rp.close(), legalOnly.close()]);
  });

  const click = (page: Page, role: 'button' | 'link', name: string) =>
    Promise.all([page.waitForEvent('load'), page.getByRole(role, { name, exact: true }).click()]);

  /** A person the reference register knows, not verified yet, so 立即认证 verifies. */
  async function unverifiedPerson() {
    const name = uniqueName();
    const documentNumber = uniqueResidentId();
    await app.context.referenceRegister.upsert([{ name, documentType: 'resident_id', documentNumber }]);
    return createNaturalAccount(app, { name, documentNumber });
  }

  async function authorizedBy(agent: CreatedAccount, orgName: string) {
    const entity = await createLegalAccount(app, { orgName, realNameVerified: true });
    const authorizationId = await app.context.authorizations.grant({
      legalAccountId: entity.account.id,
      agentAccountId: agent.account.id,
      systems: [rp.clientId],
      origin: 'portal',
      grantedBy: entity.account.id,
    });
    return { uscc: entity.account.legal!.uscc!, orgName, authorizationId };
  }

  async function signIn(page: Page, person: CreatedAccount, url?: string) {
    if (url) await page.goto(url);
    await signInAtWindow(page, person.window === 'legal' ? '法人登录' : '自然人登录', person.loginName, person.password);
  }

  test('when an unverified person with two authorizations signs in, then the real-name page leads through My Information and 立即认证 to the picker, and the chosen unit is in act_for', async () => {
    const person = await unverifiedPerson();
    await authorizedBy(person, `${uniqueName()}生物科技有限公司`);
    const chosen = await authorizedBy(person, `${uniqueName()}新材料股份有限公司`);
    const request = await rp.authorizationRequest({ scope: 'openid profile org' });

    const page = await browser.newPage();
    await signIn(page, person, request.url);
    await heading(page, '需要完成实名认证');
    const realNamePage = page.url();
    expect(await page.locator('.status__value').textContent()).toBe('未实名认证');
    expect(await page.getByRole('heading', { level: 3 }).allTextContents()).toEqual(['立即认证', '完善信息', '上传材料']);
    await screenshot(page, 'access-real-name.png');

    // 完善信息 opens My Information (the portal signs in by single sign-on), which leads back.
    await click(page, 'link', '完善信息');
    await heading(page, '我的信息');
    const back = page.getByRole('link', { name: '返回继续登录' });
    expect(await back.isVisible()).toBe(true);
    await screenshot(page, 'access-my-information-return.png');
    await Promise.all([page.waitForEvent('load'), back.click()]);
    expect(page.url()).toBe(realNamePage.split('?')[0]);
    await heading(page, '需要完成实名认证');

    // 立即认证 verifies with the saved data; the same sign-in goes on to the picker.
    await click(page, 'button', '立即认证');
    await heading(page, '选择代办单位');
    const options = page.getByRole('radio');
    expect(await options.count()).toBe(2);
    await page.getByRole('radio', { name: new RegExp(chosen.orgName) }).check();
    await screenshot(page, 'access-select-entity.png');
    await Promise.all([page.waitForURL((url) => url.href.startsWith(rp.redirectUri)), page.getByRole('button', { name: '确认并继续' }).click()]);

    const claims = (await rp.callback(page.url(), request)).claims()!;
    expect(claims).toMatchObject({ sub: person.account.id, act_for: { uscc: chosen.uscc, org_name: chosen.orgName, authorized_systems: [rp.clientId] } });
    expect((await app.context.accounts.findById(person.account.id))!.realNameStatus).toBe('verified');
  });

  test('when the same pages are opened on a phone, then nothing scrolls sideways, and the picker asks for a choice before it goes on', async () => {
    const person = await unverifiedPerson();
    const first = await authorizedBy(person, `${uniqueName()}信息技术有限责任公司`);
    await authorizedBy(person, `${uniqueName()}智能装备制造有限公司`);
    const request = await rp.authorizationRequest({ scope: 'openid org' });

    const page = await browser.newPage(PHONE);
    await signIn(page, person, request.url);
    await heading(page, '需要完成实名认证');
    expect(await pageWidth(page)).toBeLessThanOrEqual(375);
    await screenshot(page, 'access-real-name-375.png');

    await click(page, 'button', '立即认证');
    await heading(page, '选择代办单位');
    expect(await pageWidth(page)).toBeLessThanOrEqual(375);
    await screenshot(page, 'access-select-entity-375.png');

    // No choice: the page says so, next to the choices.
    await click(page, 'button', '确认并继续');
    expect(await page.getByRole('alert').textContent()).toBe('请选择要代办的单位');
    const group = page.getByRole('group', { name: '代办单位' });
    expect(await group.getAttribute('aria-describedby')).toContain('entity-error');

    await page.getByRole('radio', { name: new RegExp(first.orgName) }).check();
    await Promise.all([page.waitForURL((url) => url.href.startsWith(rp.redirectUri)), page.getByRole('button', { name: '确认并继续' }).click()]);
    expect((await rp.callback(page.url(), request)).claims()!.act_for).toMatchObject({ uscc: first.uscc });
  });

  test('when a verified person no unit has authorized signs in on a phone, then the refusal page explains agents, and 返回业务系统 brings access_denied to the system', async () => {
    const person = await createNaturalAccount(app, { name: uniqueName(), realNameVerified: true });
    const request = await rp.authorizationRequest({ scope: 'openid org' });

    const page = await browser.newPage(PHONE);
    await signIn(page, person, request.url);
    await heading(page, '无法登录该系统');
    expect(await page.getByRole('alert').textContent()).toContain('没有任何单位对该系统的有效代办授权');
    expect(await page.getByRole('heading', { level: 2, name: '什么是代办人？' }).isVisible()).toBe(true);
    expect(await pageWidth(page)).toBeLessThanOrEqual(375);
    await screenshot(page, 'access-refused-375.png');

    await Promise.all([page.waitForURL((url) => url.href.startsWith(rp.redirectUri)), page.getByRole('button', { name: '返回业务系统' }).click()]);
    const callback = new URL(page.url());
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe(request.state);
  });

  test('when a person signs in to a system that accepts only legal accounts, then the login page says so with the legal window open, and the unit’s account then completes the sign-in', async () => {
    const person = await createNaturalAccount(app);
    const unit = await createLegalAccount(app);
    const request = await legalOnly.authorizationRequest({ scope: 'openid org' });

    const page = await browser.newPage();
    await page.goto(request.url);
    // The window this system accepts is open from the start; the person picks the other one.
    expect(await page.getByRole('tab', { name: '法人登录' }).getAttribute('aria-selected')).toBe('true');
    await page.getByRole('tab', { name: '自然人登录' }).click();
    await signIn(page, person);
    await page.waitForURL(/\/interaction\/[^/?]+$/);
    expect(await page.getByRole('status').first().textContent()).toContain('您当前登录的是自然人账号');
    expect(await page.getByRole('tab', { name: '法人登录' }).getAttribute('aria-selected')).toBe('true');
    await screenshot(page, 'access-login-kind.png');

    // The natural session ends through oidc-provider's self-submitting form (allowed by the page's CSP).
    await Promise.all([page.waitForURL((url) => url.href.startsWith(legalOnly.redirectUri)), signIn(page, unit)]);
    expect((await legalOnly.callback(page.url(), request)).claims()).toMatchObject({ sub: unit.account.id, uscc: unit.account.legal!.uscc });
  });
});
