/**
 * Automatic real-name verification of legal entities (SPEC §4): unit name + USCC + legal
 * representative's name against the enterprise registry. The same state diagram as persons
 * (verification.service.ts):
 *
 *   unverified / rejected / pending_review ──match, USCC free──▶ verified
 *        │  mismatch, registry unavailable, USCC taken, identity incomplete: unchanged
 *   verified / reviewed: settled; verifying again changes nothing and answers 'verified'
 *
 * HMT and foreign units have no USCC the registry knows: 'incomplete', the manual-review path.
 * The registry is asked outside any transaction; the verdict is applied in one transaction that
 * claims the USCC, so one USCC verifies one legal account.
 */
import { isRealNameSettled } from '../accounts/account.types.js';
import type { AccountRepository, LegalIdentity } from '../accounts/account.repository.js';
import type { Actor } from '../accounts/account.service.js';
import { validateUscc } from '../accounts/identity-documents.js';
import { byActor, type AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { NotFoundError } from '../errors.js';
import type { Logger } from '../logger.js';
import { EnterpriseRegistryUnavailable, type EnterpriseRegistry, type EntityVerdict } from './enterprise-registry.js';
import type { EntityClaimRepository } from './entity-claim.repository.js';
import { AUDIT_OUTCOME, type VerificationOutcome, type VerificationResult } from './verification.service.js';

const sameIdentity = (a: LegalIdentity, b: LegalIdentity) =>
  a.orgName === b.orgName && a.uscc === b.uscc && a.legalRepresentative?.name === b.legalRepresentative?.name;

export class EntityVerificationService {
  constructor(
    private readonly db: Db,
    private readonly accounts: AccountRepository,
    private readonly claims: EntityClaimRepository,
    private readonly registry: EnterpriseRegistry,
    private readonly audit: AuditService,
    private readonly logger: Logger,
    private readonly clock: Clock,
  ) {}

  /** Checks the unit with the enterprise registry and records the result. */
  async verifyLegalAccount(accountId: string, actor: Actor): Promise<VerificationResult> {
    const identity = await this.accounts.findLegalIdentity(accountId);
    if (!identity) throw new NotFoundError();
    if (isRealNameSettled(identity.realNameStatus)) return this.finish(identity, actor, 'verified', { alreadyVerified: true });
    const { uscc, orgName, legalRepresentative } = identity;
    if (identity.registrationRegion !== 'domestic' || !uscc || !legalRepresentative) return this.finish(identity, actor, 'incomplete');
    // A USCC that already verifies another account ends here, sparing a (paid) registry query.
    if (await this.claims.usccVerified(uscc, accountId)) return this.finish(identity, actor, 'document_taken');

    let verdict: EntityVerdict;
    try {
      verdict = await this.registry.checkEntity({ uscc, orgName, legalRepresentativeName: legalRepresentative.name });
    } catch (error) {
      if (!(error instanceof EnterpriseRegistryUnavailable)) throw error;
      this.logger.warn({ err: error, reason: error.reason }, 'enterprise registry unavailable');
      return this.finish(identity, actor, 'unavailable', { reason: error.reason });
    }
    if (verdict === 'mismatch') return this.finish(identity, actor, 'mismatch');

    return this.db.transaction(async (trx) => {
      const current = await this.accounts.findLegalIdentity(accountId, trx, true);
      if (!current) throw new NotFoundError();
      if (isRealNameSettled(current.realNameStatus)) return this.finish(current, actor, 'verified', { alreadyVerified: true }, trx);
      // The verdict is about what was asked; a save in between needs a fresh check.
      if (!sameIdentity(current, identity)) return this.finish(current, actor, 'unavailable', { reason: 'identity_changed' }, trx);
      if (await this.claims.usccVerified(uscc, accountId, trx)) return this.finish(current, actor, 'document_taken', {}, trx);
      const now = this.clock();
      const holder = await this.claims.claim({ uscc, accountId, method: 'automatic', verifiedAt: now }, trx);
      if (holder !== accountId) return this.finish(current, actor, 'document_taken', {}, trx);
      await this.accounts.markRealNameVerified(accountId, now, trx);
      return this.finish(current, actor, 'verified', {}, trx);
    });
  }

  /** Whether this USCC already verifies a legal account, for registration's "check whether it exists". */
  async usccAlreadyVerified(uscc: string): Promise<boolean> {
    const checked = validateUscc(uscc);
    return checked.ok && this.claims.usccVerified(checked.normalized);
  }

  private async finish(
    identity: LegalIdentity,
    actor: Actor,
    outcome: VerificationOutcome,
    details: Record<string, unknown> = {},
    trx: Db = this.db,
  ): Promise<VerificationResult> {
    await this.audit.record(
      {
        event: 'verification.automatic',
        outcome: AUDIT_OUTCOME[outcome],
        ...byActor(actor),
        subject: { type: 'account', id: identity.accountId },
        // A USCC is public registry data, not personal data.
        details: { kind: 'legal', result: outcome, uscc: identity.uscc, ...details },
      },
      trx,
    );
    return { outcome };
  }
}
