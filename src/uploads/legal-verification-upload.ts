import type { Context } from 'koa';
import type { LegalCaseImages, ReviewCase } from '../review/review.service.js';
import { readVerificationImages, type VerificationUploadDeps } from './verification-upload.routes.js';

/** The form's file fields and the role each image plays in the unit's case. */
export const LEGAL_UPLOAD_FIELDS = {
  businessLicense: 'business_license',
  representativeDocument: 'legal_representative_document',
  authorizationLetter: 'authorization_letter',
} as const satisfies Record<string, keyof LegalCaseImages>;

type LegalUploadField = keyof typeof LEGAL_UPLOAD_FIELDS;
const FIELDS = Object.keys(LEGAL_UPLOAD_FIELDS) as LegalUploadField[];

/**
 * POST of 上传法人信息 (SPEC §4) for the signed-in legal account `accountId`: the business licence,
 * the legal representative's document and the authorization letter stamped with the unit seal
 * (fields as in LEGAL_UPLOAD_FIELDS, each required) and the CSRF token. All three are checked
 * before any is stored; then all three are stored and the case opened in one transaction.
 * Refusals as handleVerificationUpload's, and 400 when the unit's data is incomplete.
 */
export async function handleLegalVerificationUpload(ctx: Context, accountId: string, deps: VerificationUploadDeps): Promise<ReviewCase> {
  // Refuse early (before reading megabytes) what would be refused at the end anyway.
  await deps.reviews.assertCanOpenLegalVerification(accountId);
  const images = await readVerificationImages(ctx, accountId, FIELDS, deps);

  const actor = { type: 'account', id: accountId, ip: ctx.ip, requestId: ctx.state.requestId } as const;
  return deps.db.transaction(async (trx) => {
    const stored = {} as LegalCaseImages;
    for (const field of FIELDS) {
      const role = LEGAL_UPLOAD_FIELDS[field];
      stored[role] = (await deps.uploads.save(accountId, role, images[field], trx)).id;
    }
    return deps.reviews.openLegalVerificationCase({ accountId, images: stored }, actor, trx);
  });
}
