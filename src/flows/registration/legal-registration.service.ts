import type { AccountService, Actor } from '../../accounts/account.service.js';
import type { OrgType, RegistrationRegion } from '../../accounts/account.types.js';
import { normalizeMobile } from '../../accounts/identity-documents.js';
import type { Clock } from '../../clock.js';
import { checkLegalRegistration, personBlockInput, type LegalRegistrationForm } from './legal-registration.rules.js';
import { acceptRegistration, type LoginNames, type RegistrationSmsCodes, type VerificationOutcome } from './registration-steps.js';

/** What registration needs of the legal entities' real-name verification. */
export interface LegalRegistrationVerifier {
  verifyLegalAccount(accountId: string, actor: Actor): Promise<{ outcome: VerificationOutcome }>;
}

/**
 * 单位用户（法人）注册: check every field, prove the main agent's mobile with its SMS code, store the
 * legal account (the main agent's mobile as its reserved mobile), and at once try automatic
 * verification against the enterprise registry. A failed verification still leaves a registered account.
 */
export class LegalRegistrationService {
  constructor(
    private readonly accountService: AccountService,
    private readonly smsCodes: RegistrationSmsCodes,
    private readonly verifier: LegalRegistrationVerifier,
    private readonly clock: Clock,
    private readonly loginNames: LoginNames,
  ) {}

  async register(form: LegalRegistrationForm, actor: Actor): Promise<{ accountId: string; outcome: VerificationOutcome }> {
    const mobile = normalizeMobile(form.agentMobile);
    await acceptRegistration(
      checkLegalRegistration(form, this.clock()),
      { loginName: form.loginName, mobile, smsCode: form.smsCode },
      { loginNames: this.loginNames, smsCodes: this.smsCodes },
    );
    const domestic = form.registrationRegion === 'domestic';
    const account = await this.accountService.create(
      {
        kind: 'legal',
        loginName: form.loginName.trim(),
        password: form.password,
        mobile,
        mobileVerified: true,
        orgName: form.orgName.trim(),
        registrationRegion: form.registrationRegion as RegistrationRegion,
        orgType: form.orgType as OrgType,
        uscc: domestic ? form.uscc : undefined,
        registrationNumber: domestic ? undefined : form.registrationNumber.trim(),
        legalRepresentative: personBlockInput(form, 'rep'),
        mainAgent: personBlockInput(form, 'agent'),
      },
      actor,
    );
    const { outcome } = await this.verifier.verifyLegalAccount(account.id, actor);
    return { accountId: account.id, outcome };
  }
}
