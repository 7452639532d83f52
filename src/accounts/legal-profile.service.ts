import { byActor, type AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { DomainError, NotFoundError, ValidationError } from '../errors.js';
import { canEditIdentityFields } from '../verification/verification.service.js';
import type { AccountRepository } from './account.repository.js';
import type { Actor } from './account.service.js';
import type { Account, PersonBlock } from './account.types.js';
import { checkLegalProfile, type LegalProfileChanges, type LegalProfileInput } from './legal-profile.rules.js';
import type { PersonBlockInput } from './person-block.rules.js';

export interface LegalProfileSaved {
  /** A field verification froze changed: a rejected account starts afresh. */
  identityChanged: boolean;
  /** What the enterprise registry judges changed (unit name, region, USCC, representative's name): verify again. */
  verificationNeeded: boolean;
}

/** An untouched number field (shown masked, sent back empty) keeps the stored number. */
const keep = (given: string | undefined, stored: string | undefined) => (given?.trim() ? given : (stored ?? ''));

/** The parts of a person block verification freezes; mobile and validity stay editable, as for persons. */
const frozenPart = (block: PersonBlock): PersonBlockInput => ({
  name: block.name,
  identityType: block.identityType,
  documentType: block.documentType,
  documentNumber: block.documentNumber,
});

const sameIdentityOf = (a: PersonBlock | null, b: PersonBlock) =>
  a !== null && a.name === b.name && a.identityType === b.identityType && a.documentType === b.documentType && a.documentNumber === b.documentNumber;

/**
 * 修改法人信息 (SPEC §1, §4): what a signed-in legal account changes about its unit on My
 * Information. While the account is verified, reviewed or pending review, the unit's identity (name,
 * region, type, USCC or registration number) and its legal representative's identity stay as they
 * are whatever the form says. The main agent's mobile is the reserved mobile, changed only through
 * 更换预留手机号 (both codes), never by this form.
 */
export class LegalProfileService {
  constructor(
    private readonly db: Db,
    private readonly accounts: AccountRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async update(account: Account, input: LegalProfileInput, actor: Actor): Promise<LegalProfileSaved> {
    if (account.kind !== 'legal' || !account.legal) throw new NotFoundError();
    const current = account.legal;
    const stored = await this.accounts.legalPersonBlocks(account.id);
    const locked = !canEditIdentityFields(account);

    const representative: PersonBlockInput = {
      ...input.legalRepresentative,
      mobile: keep(input.legalRepresentative.mobile, stored.legalRepresentative?.mobile),
      documentNumber: keep(input.legalRepresentative.documentNumber, stored.legalRepresentative?.documentNumber),
      // A settled unit without a representative on file (made verified by an operator) may add one.
      ...(locked && stored.legalRepresentative ? frozenPart(stored.legalRepresentative) : {}),
    };
    const mainAgent: PersonBlockInput = {
      ...input.mainAgent,
      mobile: account.mobile,
      documentNumber: keep(input.mainAgent.documentNumber, stored.mainAgent?.documentNumber),
    };
    const unit = locked
      ? {
          orgName: current.orgName,
          registrationRegion: current.registrationRegion,
          orgType: current.orgType,
          uscc: current.uscc ?? '',
          registrationNumber: current.registrationNumber ?? '',
        }
      : input;
    const checked = checkLegalProfile({ ...unit, email: input.email, legalRepresentative: representative, mainAgent }, this.clock());
    if (!checked.ok) throw new ValidationError(checked.fields);
    const { changes } = checked;

    const unitChanged = changes.orgName !== current.orgName || changes.registrationRegion !== current.registrationRegion || changes.uscc !== current.uscc;
    const representativeRenamed = stored.legalRepresentative?.name !== changes.legalRepresentative.name;
    const saved: LegalProfileSaved = {
      identityChanged:
        unitChanged ||
        changes.orgType !== current.orgType ||
        changes.registrationNumber !== current.registrationNumber ||
        !sameIdentityOf(stored.legalRepresentative, changes.legalRepresentative),
      verificationNeeded: !locked && (unitChanged || representativeRenamed),
    };

    await this.db.transaction(async (trx) => {
      const now = await this.accounts.findLegalIdentity(account.id, trx, true);
      if (!now) throw new NotFoundError();
      // Verified, or sent to review, since the page was read: what the form froze may no longer change.
      if (canEditIdentityFields(now) === locked) throw new DomainError('legal_info.error.status_changed', 409);
      await this.write(account.id, changes, trx);
      // New identity data after a rejected review is a fresh start.
      if (saved.identityChanged && now.realNameStatus === 'rejected') await this.accounts.setRealNameStatus(account.id, 'unverified', trx);
      await this.audit.record(
        {
          event: 'profile.updated',
          outcome: 'success',
          ...byActor(actor),
          subject: { type: 'account', id: account.id },
          details: { kind: 'legal', identityChanged: saved.identityChanged },
        },
        trx,
      );
    });
    return saved;
  }

  private async write(accountId: string, changes: LegalProfileChanges, trx: Db): Promise<void> {
    const { email, ...legal } = changes;
    await this.accounts.updateLegalProfile(accountId, legal, trx);
    await this.accounts.updateEmail(accountId, email, trx);
  }
}
