import type { AccountService, Actor } from '../../accounts/account.service.js';
import type { DocumentType } from '../../accounts/identity-documents.js';
import type { Clock } from '../../clock.js';
import { checkNaturalRegistration, type NaturalRegistrationForm } from './natural-registration.rules.js';
import { acceptRegistration, type LoginNames, type RegistrationSmsCodes, type VerificationOutcome } from './registration-steps.js';

/** What registration needs of real-name verification. */
export interface RegistrationVerifier {
  verifyNaturalAccount(accountId: string, actor: Actor): Promise<{ outcome: VerificationOutcome }>;
}

/**
 * 自然人注册: check every field, prove the mobile with its SMS code, store the account, and at once
 * try automatic real-name verification. A failed verification still leaves a registered account.
 */
export class NaturalRegistrationService {
  constructor(
    private readonly accountService: AccountService,
    private readonly smsCodes: RegistrationSmsCodes,
    private readonly verifier: RegistrationVerifier,
    private readonly clock: Clock,
    private readonly loginNames: LoginNames,
  ) {}

  async register(form: NaturalRegistrationForm, actor: Actor): Promise<{ accountId: string; outcome: VerificationOutcome }> {
    await acceptRegistration(checkNaturalRegistration(form, this.clock()), form, { loginNames: this.loginNames, smsCodes: this.smsCodes });
    const account = await this.accountService.create(
      {
        kind: 'natural',
        loginName: form.loginName.trim(),
        password: form.password,
        mobile: form.mobile.trim(),
        mobileVerified: true,
        name: form.name.trim(),
        identityType: form.identityType as 'mainland' | 'hmt' | 'other',
        documentType: form.documentType as DocumentType,
        documentNumber: form.documentNumber.trim(),
      },
      actor,
    );
    const { outcome } = await this.verifier.verifyNaturalAccount(account.id, actor);
    return { accountId: account.id, outcome };
  }
}
