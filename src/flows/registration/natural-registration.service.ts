import type { AccountService, Actor } from '../../accounts/account.service.js';
import type { DocumentType } from '../../accounts/identity-documents.js';
import type { Clock } from '../../clock.js';
import { ValidationError } from '../../errors.js';
import { checkNaturalRegistration, type NaturalRegistrationForm } from './natural-registration.rules.js';

export type VerificationOutcome = 'verified' | 'mismatch' | 'unavailable' | 'document_taken' | 'incomplete';

/** What registration needs of the SMS code service. */
export interface RegistrationSmsCodes {
  verifyCode(input: { mobile: string; purpose: 'register'; code: string }): Promise<void>;
}

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
    private readonly loginNames: { loginNameTaken(loginName: string): Promise<boolean> },
  ) {}

  async register(form: NaturalRegistrationForm, actor: Actor): Promise<{ accountId: string; outcome: VerificationOutcome }> {
    const fields = checkNaturalRegistration(form, this.clock());
    // A taken name is told before the SMS code is checked: a refused form must not spend the code.
    if (!fields.loginName && (await this.loginNames.loginNameTaken(form.loginName))) fields.loginName = 'account.error.login_name_taken';
    if (Object.keys(fields).length) throw new ValidationError(fields);
    await this.smsCodes.verifyCode({ mobile: form.mobile.trim(), purpose: 'register', code: form.smsCode.trim() });
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
