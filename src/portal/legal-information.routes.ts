import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Account, RealNameStatus } from '../accounts/account.types.js';
import { DOCUMENT_TYPES_BY_IDENTITY } from '../accounts/identity-documents.js';
import { ORG_TYPES, PERSON_BLOCK_PREFIXES, readyForReview, REGISTRATION_REGIONS, type LegalProfileInput } from '../accounts/legal-profile.rules.js';
import type { LegalProfileService } from '../accounts/legal-profile.service.js';
import { PERSON_BLOCK_FIELDS, type PersonBlockInput } from '../accounts/person-block.rules.js';
import { DomainError, NotFoundError } from '../errors.js';
import type { MessageKey, Translate } from '../i18n/index.js';
import { requireCsrf } from '../security/browser-csrf.js';
import { maskMobile } from '../security/pii-crypto.js';
import { handleLegalVerificationUpload, LEGAL_UPLOAD_FIELDS } from '../uploads/legal-verification-upload.js';
import type { VerificationUploadDeps } from '../uploads/verification-upload.routes.js';
import { legalOutcomeMessage } from '../verification/entity-verification.messages.js';
import type { EntityVerificationService } from '../verification/entity-verification.service.js';
import { canEditIdentityFields, type VerificationOutcome } from '../verification/verification.service.js';

export interface LegalInformationDeps {
  legalProfiles: LegalProfileService;
  entityVerification: Pick<EntityVerificationService, 'verifyLegalAccount'>;
}

/** The sections of My Information this module answers for. */
export type LegalSection = 'legal' | 'legal_upload';

/** My Information's page, rendered with one section's values and errors (my-information.routes.ts). */
export type RenderMyInformation = (
  ctx: Context,
  state: { section: LegalSection; values?: Record<string, string>; errors?: Record<string, string> },
  status: number,
) => Promise<void>;

const UNIT_FIELDS = ['orgName', 'registrationRegion', 'orgType', 'uscc', 'registrationNumber', 'email'] as const;
/** Form field names of the person blocks: repName, repMobile, …, agentDocumentLongTerm. */
const blockField = (prefix: string, field: string) => `${prefix}${field[0]!.toUpperCase()}${field.slice(1)}`;

/**
 * Registry queries cost money and tell whether a USCC already verifies some account: an account
 * gets this many automatic attempts an hour (saves and 立即认证 together).
 */
const VERIFICATIONS_PER_HOUR = 20;

const OPEN: ReadonlySet<RealNameStatus> = new Set(['unverified', 'rejected']);
const OUTCOMES: Record<VerificationOutcome, true> = { verified: true, mismatch: true, unavailable: true, document_taken: true, incomplete: true };

/** The form as the page first shows it: stored values, numbers never in clear (the fields start empty). */
function formValues(account: Account): Record<string, string> {
  const legal = account.legal!;
  const values: Record<string, string> = {
    orgName: legal.orgName,
    registrationRegion: legal.registrationRegion,
    orgType: legal.orgType,
    uscc: legal.uscc ?? '',
    registrationNumber: legal.registrationNumber ?? '',
    email: account.email ?? '',
  };
  for (const [key, prefix] of Object.entries(PERSON_BLOCK_PREFIXES) as [keyof typeof PERSON_BLOCK_PREFIXES, string][]) {
    const block = legal[key];
    values[blockField(prefix, 'name')] = block?.name ?? '';
    values[blockField(prefix, 'identityType')] = block?.identityType ?? '';
    values[blockField(prefix, 'documentType')] = block?.documentType ?? '';
    values[blockField(prefix, 'documentValidUntil')] = block?.documentValidUntil ?? '';
    values[blockField(prefix, 'documentLongTerm')] = block?.documentLongTerm ? 'on' : '';
  }
  return values;
}

/** What views/portal/_legal-profile.eta shows, for My Information's render of a legal account. */
export function legalPageData(
  ctx: Context,
  account: Account,
  state: { section?: string; values?: Record<string, string> },
) {
  const legal = account.legal!;
  const status = account.realNameStatus;
  const locked = !canEditIdentityFields(account);
  const outcome = typeof ctx.query.legal_outcome === 'string' ? ctx.query.legal_outcome : undefined;
  let message: { key: MessageKey; success: boolean } | undefined;
  if (outcome === 'limited') message = { key: 'error.too_many_requests', success: false };
  else if (outcome && Object.hasOwn(OUTCOMES, outcome)) {
    message = { key: legalOutcomeMessage(outcome as VerificationOutcome, legal.registrationRegion), success: outcome === 'verified' };
  }
  const saved = ctx.query.legal_saved;
  return {
    values: state.section === 'legal' && state.values ? state.values : formValues(account),
    locked,
    // A settled unit without a representative on file may still add one (LegalProfileService).
    representativeLocked: locked && Boolean(legal.legalRepresentative),
    regions: REGISTRATION_REGIONS,
    orgTypes: ORG_TYPES,
    documentTypesByIdentity: DOCUMENT_TYPES_BY_IDENTITY,
    agentMobileMasked: maskMobile(account.mobile),
    canVerify: OPEN.has(status) && legal.registrationRegion === 'domestic' && Boolean(legal.uscc && legal.legalRepresentative),
    abroad: OPEN.has(status) && legal.registrationRegion !== 'domestic',
    upload: status === 'pending_review' ? 'pending' : OPEN.has(status) ? (readyForReview(legal) ? 'form' : 'incomplete') : undefined,
    uploadFields: Object.keys(LEGAL_UPLOAD_FIELDS),
    saved: saved === 'profile' ? 'legal_info.saved' : saved === 'upload' && status === 'pending_review' ? 'legal_upload.saved' : undefined,
    message,
  };
}

/** The submitted form: text fields only, each cut to a sane length. */
function readForm(body: Record<string, unknown>): { input: LegalProfileInput; values: Record<string, string> } {
  const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string).slice(0, 256) : '');
  const values: Record<string, string> = Object.fromEntries(UNIT_FIELDS.map((field) => [field, text(field)]));
  const block = (prefix: string): PersonBlockInput =>
    Object.fromEntries(
      PERSON_BLOCK_FIELDS.map((field) => {
        const name = blockField(prefix, field);
        values[name] = text(name);
        return [field, values[name]];
      }),
    );
  const input: LegalProfileInput = {
    ...Object.fromEntries(UNIT_FIELDS.map((field) => [field, values[field]])),
    legalRepresentative: block(PERSON_BLOCK_PREFIXES.legalRepresentative),
    mainAgent: block(PERSON_BLOCK_PREFIXES.mainAgent),
  };
  return { input, values };
}

const actorOf = (ctx: Context, account: Account) => ({ type: 'account' as const, id: account.id, ip: ctx.ip, requestId: ctx.state.requestId });

function legalAccountOf(ctx: Context): Account {
  const account = ctx.state.portal.account as Account;
  if (account.kind !== 'legal' || !account.legal) throw new NotFoundError();
  return account;
}

/**
 * 修改法人信息, 立即认证 and 上传法人信息 under /portal/me (added to My Information's router, behind
 * its portal session, sign-in and form body parser; `upload` is what the natural upload uses).
 * Each ends on /portal/me with the result in `legal_saved` / `legal_outcome`, or renders the page
 * again with the section's errors.
 */
export function legalInformationRoutes(router: Router, deps: LegalInformationDeps, upload: VerificationUploadDeps, render: RenderMyInformation): void {
  /** Runs automatic verification unless the hourly allowance is spent; the outcome, or 'limited'. */
  async function verify(ctx: Context, account: Account): Promise<VerificationOutcome | 'limited'> {
    const limit = await upload.rateLimiter.hit(`legal-verification:${account.id}`, VERIFICATIONS_PER_HOUR, 3600);
    if (!limit.allowed) return 'limited';
    return (await deps.entityVerification.verifyLegalAccount(account.id, actorOf(ctx, account))).outcome;
  }

  router.post('/legal', async (ctx) => {
    requireCsrf(ctx, upload.csrf);
    const account = legalAccountOf(ctx);
    const { input, values } = readForm(ctx.request.body as Record<string, unknown>);
    try {
      const saved = await deps.legalProfiles.update(account, input, actorOf(ctx, account));
      // Saving what the registry judges runs automatic verification at once (SPEC §4).
      const outcome = saved.verificationNeeded ? `&legal_outcome=${await verify(ctx, account)}` : '';
      ctx.redirect(`/portal/me?legal_saved=profile${outcome}`);
    } catch (error) {
      if (!(error instanceof DomainError) || error.status === 403 || error.status >= 500) throw error;
      const t = ctx.state.t as Translate;
      const errors = error.fieldMessages(t);
      await render(ctx, { section: 'legal', values, errors: Object.keys(errors).length ? errors : { legal: t(error.code, error.params) } }, error.status);
    }
  });

  /** 立即认证: automatic verification again with the saved data (after an outage, say). */
  router.post('/legal/verify', async (ctx) => {
    requireCsrf(ctx, upload.csrf);
    const account = legalAccountOf(ctx);
    ctx.redirect(`/portal/me?legal_outcome=${await verify(ctx, account)}`);
  });

  /** 上传法人信息: the business licence, the representative's document and the stamped authorization letter. */
  router.post('/legal/upload', async (ctx) => {
    const account = legalAccountOf(ctx);
    try {
      await handleLegalVerificationUpload(ctx, account.id, upload);
      ctx.redirect('/portal/me?legal_saved=upload');
    } catch (error) {
      if (!(error instanceof DomainError) || error.status === 403 || error.status >= 500) throw error;
      const t = ctx.state.t as Translate;
      const errors = error.fieldMessages(t);
      await render(ctx, { section: 'legal_upload', errors: Object.keys(errors).length ? errors : { legalUpload: t(error.code, error.params) } }, error.status);
    }
  });
}
