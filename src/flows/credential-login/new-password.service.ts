import type { AccountRepository } from '../../accounts/account.repository.js';
import type { Actor } from '../../accounts/account.service.js';
import type { Account } from '../../accounts/account.types.js';
import { checkPassword } from '../../accounts/password-policy.js';
import { byActor, type AuditService } from '../../audit/audit.service.js';
import type { Db } from '../../db/database.js';
import { DomainError, ValidationError } from '../../errors.js';
import type { MessageKey } from '../../i18n/index.js';
import { revokeAccountGrants } from '../../oidc/knex-adapter.js';
import type { PortalSessionRepository } from '../../portal/portal-session.repository.js';
import type { PasswordHasher } from '../../security/password-hasher.js';
import type { OneTimeCredentialService } from '../recovery/one-time-credential.service.js';

/** The sign-in's credential expired, was replaced by a newer one, or set a password already. */
export class CredentialNoLongerValid extends DomainError {
  constructor() {
    super('credential.invalid', 409);
  }
}

export interface NewPasswordForm {
  newPassword: string;
  confirmPassword: string;
}

/**
 * 设置新密码 after a sign-in with a one-time credential (SPEC §7). The account's old password is
 * not erased by the appeal: a user who still knows it signs in with it as before; the credential
 * only opens this page.
 */
export class NewPasswordService {
  constructor(
    private readonly db: Db,
    private readonly accounts: Pick<AccountRepository, 'updatePasswordHash'>,
    private readonly hasher: PasswordHasher,
    private readonly credentials: Pick<OneTimeCredentialService, 'matches' | 'consume' | 'outstanding'>,
    private readonly audit: AuditService,
    private readonly portalSessions: Pick<PortalSessionRepository, 'deleteByOpSession'>,
  ) {}

  /** Whether the credential the account signed in with can still set its password. */
  credentialValid(accountId: string): Promise<boolean> {
    return this.credentials.outstanding(accountId);
  }

  /**
   * Sets the password and uses the credential up, in one transaction; ends every other OP session
   * and every grant and token of the account, sparing `sessionUid`, the session of this sign-in.
   * The portal's own sessions end too: whoever signed in there with the old password (the reason
   * for an appeal may be a stolen account) no longer sees My Information.
   */
  async setPassword(account: Account, form: NewPasswordForm, sessionUid: string, actor: Actor): Promise<void> {
    const fields: Partial<Record<string, MessageKey>> = {};
    if (!form.newPassword) fields.newPassword = 'credential.error.new_password_required';
    else if (await this.credentials.matches(account.id, form.newPassword)) fields.newPassword = 'credential.error.same_as_credential';
    else {
      const policy = checkPassword(form.newPassword, account.loginName);
      if (!policy.ok) fields.newPassword = `account.error.password_${policy.problems[0]!}`;
    }
    if (!form.confirmPassword) fields.confirmPassword = 'credential.error.confirm_required';
    else if (form.newPassword !== form.confirmPassword) fields.confirmPassword = 'profile.error.confirm_mismatch';
    if (Object.keys(fields).length) throw new ValidationError(fields);

    const audited = { ...byActor(actor), subject: { type: 'account', id: account.id } };
    try {
      // Asked before the (costly) hash as well, so a stale page is answered at once.
      if (!(await this.credentials.outstanding(account.id))) throw new CredentialNoLongerValid();
      const hash = await this.hasher.hash(form.newPassword);
      await this.db.transaction(async (trx) => {
        // Under the row's lock: of two pages submitted at once, one sets the password.
        if (!(await this.credentials.consume(account.id, trx))) throw new CredentialNoLongerValid();
        await this.accounts.updatePasswordHash(account.id, hash, trx);
        await revokeAccountGrants(trx, account.id, sessionUid);
        await this.audit.record({ event: 'password.changed', outcome: 'success', ...audited, details: { reason: 'one_time_credential' } }, trx);
      });
    } catch (error) {
      if (error instanceof CredentialNoLongerValid) {
        await this.audit.record({ event: 'password.change_failed', outcome: 'refused', ...audited, details: { reason: 'credential_no_longer_valid' } });
      }
      throw error;
    }
    await this.portalSessions.deleteByOpSession(undefined, account.id);
  }
}
