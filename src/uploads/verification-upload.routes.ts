import Router from '@koa/router';
import type { Context } from 'koa';
import type { Db } from '../db/database.js';
import { DomainError } from '../errors.js';
import type { ReviewCase, ReviewService } from '../review/review.service.js';
import { requireCsrf } from '../security/browser-csrf.js';
import type { CsrfTokens } from '../security/csrf.js';
import type { RateLimiter } from '../security/rate-limiter.js';
import type { CleanImage } from './image-sanitizer.js';
import { readMultipartForm } from './multipart-reader.js';
import type { UploadService } from './upload.service.js';

export interface VerificationUploadDeps {
  db: Db;
  uploads: UploadService;
  reviews: ReviewService;
  rateLimiter: RateLimiter;
  /** The tokens of browserCsrf (the form carries `csrf`, as every form of ours does). */
  csrf: CsrfTokens;
}

const FILE_FIELDS = ['front', 'back'] as const;
/** Each try decodes two images: enough for a person retaking photos, little for a script. */
const UPLOADS_PER_HOUR = 20;

/** The most telling of several refusals: too large, then wrong type, then the rest; every field keeps its message. */
export function combine(refusals: unknown[]): unknown {
  const domain = refusals.filter((r): r is DomainError => r instanceof DomainError);
  if (domain.length < refusals.length) return refusals.find((r) => !(r instanceof DomainError));
  const order = [413, 415];
  const rank = (e: DomainError) => (order.includes(e.status) ? order.indexOf(e.status) : order.length);
  const [first] = [...domain].sort((a, b) => rank(a) - rank(b));
  const fields = Object.assign({}, ...domain.map((e) => e.fields));
  const params = Object.assign({}, ...domain.map((e) => e.params));
  return new DomainError(first!.code, first!.status, fields, params);
}

/**
 * Reads a manual-verification form for `accountId`: the images in `fileFields` and the CSRF token
 * (`csrf`). Checks every image and answers them all clean, or throws the most telling refusal with
 * every field's message, before anything is stored: 413 too large, 415 not jpg/png, 400 damaged or
 * missing, 403 CSRF, 429 too many tries.
 */
export async function readVerificationImages<F extends string>(
  ctx: Context,
  accountId: string,
  fileFields: readonly F[],
  deps: Pick<VerificationUploadDeps, 'uploads' | 'rateLimiter' | 'csrf'>,
): Promise<Record<F, CleanImage>> {
  await deps.rateLimiter.enforce(`verification-upload:${accountId}`, UPLOADS_PER_HOUR, 3600);

  const form = await readMultipartForm(ctx, { fileFields, maxFileBytes: deps.uploads.maxBytes });
  // The multipart fields are this request's form body, where requireCsrf looks for the token.
  ctx.request.body = form.fields;
  requireCsrf(ctx, deps.csrf);

  const checked = await Promise.allSettled(
    fileFields.map((field) => deps.uploads.check({ field, filename: form.files[field]?.filename, bytes: form.files[field]?.bytes ?? Buffer.alloc(0) })),
  );
  const refusals = checked.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
  if (refusals.length > 0) throw combine(refusals);
  return Object.fromEntries(fileFields.map((field, i) => [field, (checked[i] as PromiseFulfilledResult<CleanImage>).value])) as Record<F, CleanImage>;
}

/**
 * POST of the manual-verification form (SPEC §4) for the signed-in account `accountId`: the
 * document's front and back (fields `front`, `back`) and the CSRF token (`csrf`). Checks both
 * images, then stores both and opens the review case in one transaction, so a refusal stores
 * nothing. Throws DomainErrors with field messages: 413 too large, 415 not jpg/png, 400 damaged or
 * missing, 403 CSRF, 409 not eligible (already verified, case pending), 429 too many tries.
 */
export async function handleVerificationUpload(ctx: Context, accountId: string, deps: VerificationUploadDeps): Promise<ReviewCase> {
  // Refuse early (before reading megabytes) what would be refused at the end anyway.
  await deps.reviews.assertCanOpenNaturalVerification(accountId);
  const { front, back } = await readVerificationImages(ctx, accountId, FILE_FIELDS, deps);

  const actor = { type: 'account', id: accountId, ip: ctx.ip, requestId: ctx.state.requestId } as const;
  return deps.db.transaction(async (trx) => {
    const frontUpload = await deps.uploads.save(accountId, 'identity_document_front', front, trx);
    const backUpload = await deps.uploads.save(accountId, 'identity_document_back', back, trx);
    return deps.reviews.openNaturalVerificationCase({ accountId, frontUploadId: frontUpload.id, backUploadId: backUpload.id }, actor, trx);
  });
}

/**
 * `POST /verification/upload`, for whoever knows who is signed in: `accountIdOf` gives the account
 * of the request (the portal session), or undefined for nobody. A browser is sent on to `doneUrl`;
 * a JSON client gets `201 {case_id, status}`.
 */
export function verificationUploadRoutes(
  deps: VerificationUploadDeps,
  options: { accountIdOf: (ctx: Context) => string | undefined | Promise<string | undefined>; doneUrl: string },
): Router {
  const router = new Router();
  router.post('/verification/upload', async (ctx) => {
    const accountId = await options.accountIdOf(ctx);
    if (!accountId) throw new DomainError('upload.error.sign_in_required', 401);
    const opened = await handleVerificationUpload(ctx, accountId, deps);
    if (ctx.accepts('html', 'json') === 'json') {
      ctx.status = 201;
      ctx.body = { case_id: opened.id, status: opened.status };
      return;
    }
    ctx.status = 303;
    ctx.redirect(options.doneUrl);
  });
  return router;
}
