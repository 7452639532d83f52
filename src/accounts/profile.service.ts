import { byActor, type AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { DomainError, ValidationError } from '../errors.js';
import { revokeAccountGrants } from '../oidc/knex-adapter.js';
import type { PasswordHasher } from '../security/password-hasher.js';
import type { AccountRepository } from './account.repository.js';
import type { Account } from './account.types.js';
import type { Actor } from './account.service.js';
import { checkNaturalProfile, type NaturalProfileInput } from './natural-profile.rules.js';
import { checkPassword } from './password-policy.js';
import { isValidMainlandMobile, normalizeMobile } from './identity-documents.js';
import type { SmsCodeService } from '../notify/sms-code.service.js';
import { maskMobile } from '../security/pii-crypto.js';
import { canEditIdentityFields } from '../verification/verification.service.js';

/** What a signed-in user changes about their own account on My Information. */
export class ProfileService {
  constructor(
    private readonly db: Db,
    private readonly accounts: AccountRepository,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly smsCodes: Pick<SmsCodeService, 'verifyCode'>,
  ) {}

  /**
   * Saves a natural person's profile. Identity fields (name, identity and document) of a locked
   * account are kept as they are whatever the form says. Returns whether the identity changed,
   * which is when automatic verification should run again.
   */
  async updateNaturalProfile(account: Account, input: NaturalProfileInput, actor: Actor): Promise<{ identityChanged: boolean }> {
    if (account.kind !== 'natural' || !account.natural) throw new DomainError('error.not_found', 404);
    const locked = !canEditIdentityFields(account);
    const current = account.natural;
    const checked = checkNaturalProfile(
      locked
        ? { ...input, name: current.name, identityType: '', documentType: '', documentNumber: '' }
        : input,
      this.clock(),
    );
    if (!checked.ok) throw new ValidationError(checked.fields);
    const { changes } = checked;
    const identity = locked
      ? null
      : { name: changes.name, identityType: changes.identityType, documentType: changes.documentType, documentNumber: changes.documentNumber };
    const identityChanged =
      identity !== null &&
      (identity.name !== current.name ||
        identity.identityType !== current.identityType ||
        identity.documentType !== current.documentType ||
        identity.documentNumber !== (await this.accounts.documentNumberOf(account.id)));

    await this.db.transaction(async (trx) => {
      await this.accounts.updateNaturalProfile(account.id, changes, identity, changes.email, trx);
      // New identity data after a rejected review is a fresh start.
      if (identityChanged && account.realNameStatus === 'rejected') await this.accounts.setRealNameStatus(account.id, 'unverified', trx);
      await this.audit.record(
        {
          event: 'profile.updated',
          outcome: 'success',
          ...byActor(actor),
          subject: { type: 'account', id: account.id },
          details: { identityChanged },
        },
        trx,
      );
    });
    return { identityChanged };
  }

  /** The stored document number in clear (the form shows it masked and sends it back empty). */
  async currentDocumentNumber(accountId: string): Promise<string> {
    return (await this.accounts.documentNumberOf(accountId)) ?? '';
  }

  /**
   * Changes the password after checking the current one. Every OP session, grant and refresh
   * token of the account ends: whoever knew the old password is signed out everywhere.
   */
  async changePassword(
    account: Account,
    form: { currentPassword: string; newPassword: string; confirmPassword: string },
    actor: Actor,
  ): Promise<void> {
    const fields: Record<string, 'profile.error.current_password_required' | 'profile.error.confirm_mismatch' | `account.error.password_${string}`> = {};
    if (!form.currentPassword) fields.currentPassword = 'profile.error.current_password_required';
    const policy = checkPassword(form.newPassword, account.loginName);
    if (!policy.ok) fields.newPassword = `account.error.password_${policy.problems[0]!}`;
    if (form.newPassword !== form.confirmPassword) fields.confirmPassword = 'profile.error.confirm_mismatch';
    if (Object.keys(fields).length) throw new ValidationError(fields as ConstructorParameters<typeof ValidationError>[0]);

    const credentials = await this.accounts.findCredentials(account.loginName);
    const currentOk = credentials?.passwordHash ? await this.hasher.verify(credentials.passwordHash, form.currentPassword) : false;
    if (!currentOk) {
      await this.audit.record({ event: 'password.change_failed', outcome: 'failure', ...byActor(actor), subject: { type: 'account', id: account.id } });
      throw new ValidationError({ currentPassword: 'profile.error.current_password_wrong' });
    }
    const hash = await this.hasher.hash(form.newPassword);
    await this.db.transaction(async (trx) => {
      await this.accounts.updatePasswordHash(account.id, hash, trx);
      await revokeAccountGrants(trx, account.id);
      await this.audit.record(
        { event: 'password.changed', outcome: 'success', ...byActor(actor), subject: { type: 'account', id: account.id } },
        trx,
      );
    });
  }

  /**
   * Replaces the reserved mobile: a code sent to the current number proves the owner asks, a code
   * sent to the new one proves it works. Both codes are checked before anything changes.
   */
  async changeMobile(account: Account, form: { newMobile: string; oldCode: string; newCode: string }, actor: Actor): Promise<void> {
    const mobile = normalizeMobile(form.newMobile);
    const fields: ConstructorParameters<typeof ValidationError>[0] = {};
    if (!isValidMainlandMobile(mobile)) fields.newMobile = 'account.error.mobile_invalid';
    else if (mobile === account.mobile) fields.newMobile = 'me.error.mobile_same';
    if (!/^\d{6}$/.test(form.oldCode.trim())) fields.oldCode = 'sms.error.code_format';
    if (!/^\d{6}$/.test(form.newCode.trim())) fields.newCode = 'sms.error.code_format';
    if (Object.keys(fields).length) throw new ValidationError(fields);

    // The SMS service reports a bad code on `smsCode`; here there are two, each with its own field.
    const verify = async (target: string, code: string, field: 'oldCode' | 'newCode') => {
      try {
        await this.smsCodes.verifyCode({ mobile: target, purpose: 'change_mobile', code: code.trim(), ip: actor.ip, requestId: actor.requestId });
      } catch (error) {
        if (error instanceof DomainError && error.fields.smsCode) throw new DomainError(error.code, error.status, { [field]: error.fields.smsCode }, error.params);
        throw error;
      }
    };
    await verify(account.mobile, form.oldCode, 'oldCode');
    await verify(mobile, form.newCode, 'newCode');
    await this.db.transaction(async (trx) => {
      await this.accounts.updateMobile(account.id, mobile, trx);
      await this.audit.record(
        {
          event: 'mobile.changed',
          outcome: 'success',
          ...byActor(actor),
          subject: { type: 'account', id: account.id },
          details: { from: maskMobile(account.mobile), to: maskMobile(mobile) },
        },
        trx,
      );
    });
  }
}
