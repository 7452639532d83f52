/** Helpers for the legal-entity verification tests: units with both person blocks, and their review cases. */
import type { NewAccount } from '../../src/accounts/account.service.js';
import type { PersonBlockInput } from '../../src/accounts/person-block.rules.js';
import { createLegalAccount, type CreatedAccount } from './accounts.js';
import { uniqueName, uniqueResidentId } from './identities.js';
import { plainImage } from './review.js';
import { uniqueMobile, type TestApp } from './test-app.js';

/** A person block as the forms take it: a unique name, mobile and resident ID, valid for good. */
export function unitPerson(mobile = uniqueMobile()) {
  return { name: uniqueName(), mobile, identityType: 'mainland', documentType: 'resident_id', documentNumber: uniqueResidentId(), documentLongTerm: 'on' } satisfies PersonBlockInput;
}

export type CreatedUnit = CreatedAccount & { rep: ReturnType<typeof unitPerson>; agent: ReturnType<typeof unitPerson> };

/** A legal account with its legal representative and main agent on file; the agent's mobile is the reserved mobile. */
export async function createUnit(app: TestApp, extra: Partial<NewAccount> = {}): Promise<CreatedUnit> {
  const mobile = extra.mobile ?? uniqueMobile();
  const rep = unitPerson();
  const agent = unitPerson(mobile);
  const created = await createLegalAccount(app, { mobile, orgName: `${uniqueName()}科技有限公司`, legalRepresentative: rep, mainAgent: agent, ...extra });
  return { ...created, rep, agent };
}

/** Stores the three images of a unit's case for `accountId` and opens the case, as the upload route does. */
export async function openLegalCase(app: TestApp, accountId: string) {
  const { uploads, reviews } = app.context;
  const store = async (purpose: 'business_license' | 'legal_representative_document' | 'authorization_letter', format: 'jpeg' | 'png') =>
    (await uploads.store({ ownerAccountId: accountId, purpose, bytes: await plainImage(format) })).id;
  return reviews.openLegalVerificationCase(
    {
      accountId,
      images: {
        business_license: await store('business_license', 'jpeg'),
        legal_representative_document: await store('legal_representative_document', 'png'),
        authorization_letter: await store('authorization_letter', 'jpeg'),
      },
    },
    { type: 'account', id: accountId },
  );
}
