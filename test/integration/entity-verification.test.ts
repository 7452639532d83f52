import { createLegalAccount, createNaturalAccount, uniqueUscc } from '../support/accounts.js';
import { uniqueName, uniqueResidentId } from '../support/identities.js';
import { startTestApp, uniqueMobile, type TestApp } from '../support/test-app.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const actor = { type: 'cli' as const };

function representative(name = uniqueName()) {
  return { name, mobile: uniqueMobile(), identityType: 'mainland', documentType: 'resident_id', documentNumber: uniqueResidentId(), documentLongTerm: 'on' };
}

/** A unit listed in the enterprise reference register, and the legal account that registers it. */
async function registeredUnit() {
  const uscc = uniqueUscc();
  const orgName = `${uniqueName()}科技有限公司`;
  const rep = representative();
  await app.context.referenceEntities.upsert([{ uscc, orgName, legalRepresentativeName: rep.name }]);
  return { uscc, orgName, rep };
}

describe('automatic verification of legal entities against the enterprise registry', () => {
  test('when unit name, USCC and representative match the register, then the account is verified', async () => {
    const unit = await registeredUnit();
    const { account } = await createLegalAccount(app, { uscc: unit.uscc, orgName: unit.orgName, legalRepresentative: unit.rep });
    expect(await app.context.entityVerification.verifyLegalAccount(account.id, actor)).toEqual({ outcome: 'verified' });
    expect((await app.context.accounts.findById(account.id))?.realNameStatus).toBe('verified');
  });

  test('when the unit name differs only in width and spacing, then it still matches', async () => {
    const unit = await registeredUnit();
    const { account } = await createLegalAccount(app, { uscc: unit.uscc, orgName: ` ${unit.orgName.replace('科技', '科技 ')}`, legalRepresentative: unit.rep });
    expect((await app.context.entityVerification.verifyLegalAccount(account.id, actor)).outcome).toBe('verified');
  });

  test('when the representative is someone else, then it is a mismatch and the account stays unverified', async () => {
    const unit = await registeredUnit();
    const { account } = await createLegalAccount(app, { uscc: unit.uscc, orgName: unit.orgName, legalRepresentative: representative() });
    expect((await app.context.entityVerification.verifyLegalAccount(account.id, actor)).outcome).toBe('mismatch');
    expect((await app.context.accounts.findById(account.id))?.realNameStatus).toBe('unverified');
  });

  test('when a second account of the same unit verifies, then it is refused: one USCC verifies one legal account', async () => {
    const unit = await registeredUnit();
    const first = await createLegalAccount(app, { uscc: unit.uscc, orgName: unit.orgName, legalRepresentative: unit.rep });
    const second = await createLegalAccount(app, { uscc: unit.uscc, orgName: unit.orgName, legalRepresentative: unit.rep });
    expect((await app.context.entityVerification.verifyLegalAccount(first.account.id, actor)).outcome).toBe('verified');
    expect((await app.context.entityVerification.verifyLegalAccount(second.account.id, actor)).outcome).toBe('document_taken');
    expect(await app.context.entityVerification.usccAlreadyVerified(unit.uscc.toLowerCase())).toBe(true);
  });

  test('when two accounts of one unit verify at the same moment, then exactly one wins', async () => {
    const unit = await registeredUnit();
    const accounts = await Promise.all([1, 2, 3].map(() => createLegalAccount(app, { uscc: unit.uscc, orgName: unit.orgName, legalRepresentative: unit.rep })));
    const outcomes = await Promise.all(accounts.map(({ account }) => app.context.entityVerification.verifyLegalAccount(account.id, actor)));
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['document_taken', 'document_taken', 'verified']);
  });

  test('when the unit is registered abroad (no USCC), then verification is incomplete: the manual-review path', async () => {
    const { account } = await createLegalAccount(app, { uscc: undefined, registrationRegion: 'foreign', registrationNumber: 'HRB 12345', legalRepresentative: representative() });
    expect((await app.context.entityVerification.verifyLegalAccount(account.id, actor)).outcome).toBe('incomplete');
  });

  test('when the profile is read back, then the person blocks are masked and the stored columns hold no clear number', async () => {
    const unit = await registeredUnit();
    const { account } = await createLegalAccount(app, { uscc: unit.uscc, orgName: unit.orgName, legalRepresentative: unit.rep, mainAgent: representative() });
    expect(account.legal?.legalRepresentative).toMatchObject({ name: unit.rep.name, documentLongTerm: true });
    expect(account.legal?.legalRepresentative?.documentNumberMasked).toMatch(/^\d{3}\*+\w{4}$/);
    const row = await app.context.db('legal_profiles').where({ account_id: account.id }).first();
    expect(JSON.stringify(row)).not.toContain(unit.rep.documentNumber);
    expect(JSON.stringify(row)).not.toContain(unit.rep.mobile);
  });
});

describe('entity authorizations (repository)', () => {
  test('when an agent is authorized, then the authorization is effective only while the agent is verified', async () => {
    const entity = await createLegalAccount(app);
    const agent = await createNaturalAccount(app);
    const id = await app.context.authorizations.grant({ legalAccountId: entity.account.id, agentAccountId: agent.account.id, systems: ['hightech'], origin: 'portal', grantedBy: entity.account.id });
    expect(await app.context.authorizations.effectiveFor(agent.account.id)).toEqual([]);
    await app.context.accounts.setRealNameStatus(agent.account.id, 'verified');
    expect(await app.context.authorizations.effectiveFor(agent.account.id)).toEqual([
      expect.objectContaining({ id, legalAccountId: entity.account.id, orgName: entity.account.legal!.orgName, systems: ['hightech'] }),
    ]);
    // Granting again changes the one authorization of the pair.
    expect(await app.context.authorizations.grant({ legalAccountId: entity.account.id, agentAccountId: agent.account.id, systems: 'all', origin: 'portal', grantedBy: entity.account.id })).toBe(id);
    expect((await app.context.authorizations.listForEntity(entity.account.id)).map((a) => [a.systems, a.effective])).toEqual([['all', true]]);
    expect(await app.context.authorizations.revoke(entity.account.id, id, entity.account.id)).toMatchObject({ status: 'revoked' });
    expect(await app.context.authorizations.effectiveFor(agent.account.id)).toEqual([]);
  });
});
