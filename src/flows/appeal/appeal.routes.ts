import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import { DOCUMENT_TYPES_BY_IDENTITY, isValidMainlandMobile } from '../../accounts/identity-documents.js';
import { orgNameKey } from '../../accounts/org-name.js';
import type { Clock } from '../../clock.js';
import { DomainError, ValidationError } from '../../errors.js';
import { fieldMarkup, type FieldNotes } from '../../http/field-notes.js';
import { formatTime } from '../../http/format-time.js';
import { renderPage, type PageChrome } from '../../http/render.js';
import type { SmsCodeService } from '../../notify/sms-code.service.js';
import { SMS_CAPTCHA_PURPOSE } from '../../notify/sms.routes.js';
import { browserId, requireCsrf } from '../../security/browser-csrf.js';
import type { CaptchaService } from '../../security/captcha.service.js';
import type { CsrfTokens } from '../../security/csrf.js';
import type { RateLimiter } from '../../security/rate-limiter.js';
import type { CleanImage } from '../../uploads/image-sanitizer.js';
import { readMultipartParts, type MultipartParts } from '../../uploads/multipart-reader.js';
import { formatSize, type UploadService } from '../../uploads/upload.service.js';
import { combine } from '../../uploads/verification-upload.routes.js';
import { readTextFields, refusedForm, sendFormCode } from '../registration/registration-form.js';
import { ORG_TYPES } from '../registration/legal-registration.rules.js';
import {
  checkLegalAppeal,
  checkNaturalAppeal,
  checkOrgName,
  LEGAL_APPEAL_FIELDS,
  NATURAL_APPEAL_FIELDS,
  normalizeCaseNumber,
  ORG_NAME_MAX,
  REASON_MAX,
  type Appeal,
  type LegalAppealForm,
  type NaturalAppealForm,
} from './appeal.rules.js';
import type { AppealService } from './appeal.service.js';

export interface AppealRouteDeps {
  chrome: PageChrome;
  csrf: CsrfTokens;
  appeals: AppealService;
  uploads: UploadService;
  captchas: CaptchaService;
  rateLimiter: RateLimiter;
  smsCodes: Pick<SmsCodeService, 'requestCode'>;
  clock: Clock;
  production: boolean;
}

const BASE = '/recovery/appeal';
/** The image captcha of 检索单位 and of the status page (the SMS code has its own, SMS_CAPTCHA_PURPOSE). */
const APPEAL_CAPTCHA_PURPOSE = 'appeal';
/** Which case this browser just filed, for the 等待审核 page (signed: koa.keys). */
const SUBMITTED_COOKIE = 'appeal_submitted';

const IMAGE_FIELDS = ['front', 'back'] as const;
/** Posts of an appeal form (each reads up to two photos): a person retrying, not a script. */
const FORM_POSTS_PER_HOUR = 30;
/** 检索单位 and status lookups per address. */
const LOOKUPS_PER_WINDOW = 20;
const LOOKUP_WINDOW_SECONDS = 10 * 60;
/**
 * An appeal form comes back with what was typed even when a phone photo is far over the limit: the
 * request is read this far, the photo's bytes past 1 MB discarded as they stream by.
 */
const MAX_APPEAL_REQUEST_BYTES = 24 * 1024 * 1024;
const MAX_APPEAL_TEXT_FIELDS = 24;

/** The SMS service's `mobile` is the legal form's `agentMobile`. */
const LEGAL_SERVICE_FIELDS = { mobile: 'agentMobile' };

/**
 * 申诉找回密码 (SPEC §7): 自然人申诉 at /recovery/appeal/natural; 单位法人用户申诉 at
 * /recovery/appeal/legal (检索单位, then the form); 等待审核 at /recovery/appeal/submitted; the status
 * at /recovery/appeal/status. The forms are multipart (two photos); 获取验证码 asks /sms/code in
 * place with JavaScript, or posts the form without it.
 */
export function appealRoutes(deps: AppealRouteDeps): Router {
  const { chrome, csrf, appeals, uploads, captchas, rateLimiter, clock, production } = deps;
  const router = new Router({ prefix: BASE });
  const urlencoded = bodyParser({ enableTypes: ['form'], formLimit: '16kb' });
  const cookieOptions = { httpOnly: true, sameSite: 'lax', secure: production, path: BASE, signed: true, overwrite: true } as const;

  const limit = (ctx: Context, key: string, max: number, windowSeconds: number) => rateLimiter.enforce(`${key}:${ctx.ip}`, max, windowSeconds);

  /** Reads an appeal form: its fields (CSRF checked) and photos, a photo over the limit only named. */
  async function readAppealForm(ctx: Context): Promise<MultipartParts> {
    await limit(ctx, 'appeal-form', FORM_POSTS_PER_HOUR, 3600);
    const parts = await readMultipartParts(ctx, {
      fileFields: IMAGE_FIELDS,
      maxFileBytes: uploads.maxBytes,
      maxTextFields: MAX_APPEAL_TEXT_FIELDS,
      maxRequestBytes: MAX_APPEAL_REQUEST_BYTES,
    });
    // The multipart fields are this request's form body, where requireCsrf looks for the token.
    ctx.request.body = parts.fields;
    requireCsrf(ctx, csrf);
    return parts;
  }

  /** The text fields' problems and both photos' (checked by content and size), all told at once. */
  async function checkForm<A>(
    checked: { ok: true; appeal: A } | { ok: false; fields: ConstructorParameters<typeof ValidationError>[0] },
    parts: MultipartParts,
  ): Promise<{ appeal: A; images: { front: CleanImage; back: CleanImage } }> {
    const size = { size: formatSize(uploads.maxBytes) };
    const results = await Promise.allSettled(
      IMAGE_FIELDS.map((field) =>
        parts.oversized.includes(field)
          ? Promise.reject(new DomainError('upload.error.too_large', 413, { [field]: 'upload.error.too_large' }, size))
          : uploads.check({ field, filename: parts.files[field]?.filename, bytes: parts.files[field]?.bytes ?? Buffer.alloc(0) }),
      ),
    );
    const refusals = [
      ...(checked.ok ? [] : [new ValidationError(checked.fields)]),
      ...results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : [])),
    ];
    if (!checked.ok || refusals.length > 0) throw combine(refusals);
    const [front, back] = results.map((result) => (result as PromiseFulfilledResult<CleanImage>).value);
    return { appeal: checked.appeal, images: { front: front!, back: back! } };
  }

  /** Files a checked appeal and sends the browser to 等待审核. */
  async function submit(ctx: Context, appeal: Appeal, images: { front: CleanImage; back: CleanImage }, smsCode: string) {
    const { caseId } = await appeals.submit({ appeal, images, smsCode, ip: ctx.ip, requestId: ctx.state.requestId });
    ctx.cookies.set(SUBMITTED_COOKIE, caseId, { ...cookieOptions, maxAge: 24 * 3600_000 });
    ctx.status = 303;
    ctx.redirect(`${BASE}/submitted`);
  }

  /** Whether the refused post carried photos: the page says they must be chosen again. */
  const hadPhotos = (parts: MultipartParts) => IMAGE_FIELDS.some((field) => parts.files[field] || parts.oversized.includes(field));

  // ── 自然人申诉找回密码 ──────────────────────────────────────────────────────────────────────────

  async function renderNatural(ctx: Context, form: Partial<NaturalAppealForm>, view: { notes?: FieldNotes; summary?: string; reselect?: boolean } = {}, status = 200) {
    renderPage(
      ctx,
      chrome,
      'appeal/natural',
      {
        form,
        ui: fieldMarkup(view.notes ?? {}),
        summary: view.summary,
        reselect: view.reselect,
        documentTypesByIdentity: DOCUMENT_TYPES_BY_IDENTITY,
        captcha: await captchas.create(SMS_CAPTCHA_PURPOSE),
        csrf: ctx.state.csrfToken,
        action: `${BASE}/natural`,
        maxSize: formatSize(uploads.maxBytes),
        scripts: ['/assets/register.js'],
      },
      status,
    );
  }

  router.get('/natural', (ctx) => renderNatural(ctx, { identityType: 'mainland', documentType: 'resident_id' }));

  router.post('/natural', async (ctx) => {
    const parts = await readAppealForm(ctx);
    const form = readTextFields(ctx, NATURAL_APPEAL_FIELDS);
    try {
      if (parts.fields.action === 'send_sms') {
        return await renderNatural(ctx, form, { notes: await sendFormCode(ctx, deps, form.mobile, 'appeal'), reselect: hadPhotos(parts) });
      }
      const { appeal, images } = await checkForm(checkNaturalAppeal(form, clock()), parts);
      await submit(ctx, appeal, images, form.smsCode);
    } catch (error) {
      const { notes, status, summary } = refusedForm(error, ctx);
      return renderNatural(ctx, { ...form, smsCode: '' }, { notes, summary, reselect: hadPhotos(parts) }, status);
    }
  });

  // ── 单位法人用户申诉找回密码: 检索单位, then the form ──────────────────────────────────────────

  /** Binds the unit name searched to this browser: the form comes only after 检索单位. */
  const orgToken = (ctx: Context, orgName: string) => csrf.issue(`appeal-org:${browserId(ctx) ?? ''}:${orgNameKey(orgName)}`);

  async function renderSearch(ctx: Context, orgName: string, view: { notes?: FieldNotes; summary?: string } = {}, status = 200) {
    renderPage(
      ctx,
      chrome,
      'appeal/legal-search',
      {
        orgName,
        orgNameMax: ORG_NAME_MAX,
        maxSize: formatSize(uploads.maxBytes),
        ui: fieldMarkup(view.notes ?? {}),
        summary: view.summary,
        captcha: await captchas.create(APPEAL_CAPTCHA_PURPOSE),
        csrf: ctx.state.csrfToken,
      },
      status,
    );
  }

  async function renderLegal(ctx: Context, form: Partial<LegalAppealForm>, view: { notes?: FieldNotes; summary?: string; reselect?: boolean } = {}, status = 200) {
    renderPage(
      ctx,
      chrome,
      'appeal/legal',
      {
        form,
        orgToken: orgToken(ctx, form.orgName ?? ''),
        ui: fieldMarkup(view.notes ?? {}),
        summary: view.summary,
        reselect: view.reselect,
        orgTypes: ORG_TYPES,
        reasonMax: REASON_MAX,
        documentTypesByIdentity: DOCUMENT_TYPES_BY_IDENTITY,
        captcha: await captchas.create(SMS_CAPTCHA_PURPOSE),
        csrf: ctx.state.csrfToken,
        action: `${BASE}/legal`,
        maxSize: formatSize(uploads.maxBytes),
        scripts: ['/assets/register.js'],
      },
      status,
    );
  }

  router.get('/legal', (ctx) => renderSearch(ctx, ''));

  /**
   * 检索单位: the same answer for every unit name (the form, with the name fixed), so the search
   * tells nobody which units have accounts; the reviewer matches the appeal to them.
   */
  router.post('/legal/search', urlencoded, async (ctx) => {
    requireCsrf(ctx, csrf);
    const { orgName, captcha, captchaId } = readTextFields(ctx, ['orgName', 'captcha', 'captchaId'] as const);
    try {
      const problems: ConstructorParameters<typeof ValidationError>[0] = {};
      const nameProblem = checkOrgName(orgName);
      if (nameProblem) problems.orgName = nameProblem;
      if (!captcha.trim()) problems.captcha = 'login.error.captcha_required';
      if (Object.keys(problems).length) throw new ValidationError(problems);
      if (!(await captchas.verify(captchaId, APPEAL_CAPTCHA_PURPOSE, captcha))) throw new ValidationError({ captcha: 'login.error.captcha_wrong' });
      await limit(ctx, 'appeal-search', LOOKUPS_PER_WINDOW, LOOKUP_WINDOW_SECONDS);
      return await renderLegal(ctx, { orgName: orgName.trim(), agentIdentityType: 'mainland', agentDocumentType: 'resident_id' });
    } catch (error) {
      const { notes, status, summary } = refusedForm(error, ctx);
      return renderSearch(ctx, orgName, { notes, summary }, status);
    }
  });

  router.post('/legal', async (ctx) => {
    const parts = await readAppealForm(ctx);
    // The reason may be longer than readTextFields' 200 characters: read it whole (the rules cap it).
    const form = { ...readTextFields(ctx, LEGAL_APPEAL_FIELDS), reason: parts.fields.reason ?? '' };
    if (!csrf.verify(`appeal-org:${browserId(ctx) ?? ''}:${orgNameKey(form.orgName)}`, parts.fields.orgToken)) {
      return renderSearch(ctx, form.orgName, { summary: ctx.state.t('appeal.error.search_first') }, 400);
    }
    try {
      if (parts.fields.action === 'send_sms') {
        return await renderLegal(ctx, form, { notes: await sendFormCode(ctx, deps, form.agentMobile, 'appeal'), reselect: hadPhotos(parts) });
      }
      const { appeal, images } = await checkForm(checkLegalAppeal(form, clock()), parts);
      await submit(ctx, appeal, images, form.smsCode);
    } catch (error) {
      const { notes, status, summary } = refusedForm(error, ctx, LEGAL_SERVICE_FIELDS);
      return renderLegal(ctx, { ...form, smsCode: '' }, { notes, summary, reselect: hadPhotos(parts) }, status);
    }
  });

  // ── 等待审核 and the status ────────────────────────────────────────────────────────────────────

  router.get('/submitted', async (ctx) => {
    const caseId = ctx.cookies.get(SUBMITTED_COOKIE, { signed: true });
    const submitted = caseId ? await appeals.submitted(caseId) : undefined;
    if (!submitted) throw new DomainError('appeal.error.submitted_expired', 404);
    renderPage(ctx, chrome, 'appeal/submitted', submitted);
  });

  async function renderStatus(ctx: Context, values: { caseNumber: string; mobile: string }, view: { notes?: FieldNotes; summary?: string; result?: unknown; notFound?: boolean } = {}, status = 200) {
    renderPage(
      ctx,
      chrome,
      'appeal/status',
      {
        values,
        ui: fieldMarkup(view.notes ?? {}),
        summary: view.summary,
        result: view.result,
        notFound: view.notFound,
        formatTime: (date: Date) => formatTime(date, ctx.state.locale),
        captcha: await captchas.create(APPEAL_CAPTCHA_PURPOSE),
        csrf: ctx.state.csrfToken,
      },
      status,
    );
  }

  router.get('/status', (ctx) => renderStatus(ctx, { caseNumber: '', mobile: '' }));

  router.post('/status', urlencoded, async (ctx) => {
    requireCsrf(ctx, csrf);
    const { caseNumber, mobile, captcha, captchaId } = readTextFields(ctx, ['caseNumber', 'mobile', 'captcha', 'captchaId'] as const);
    const values = { caseNumber, mobile };
    try {
      const problems: ConstructorParameters<typeof ValidationError>[0] = {};
      if (!caseNumber.trim()) problems.caseNumber = 'appeal.error.case_number_required';
      else if (!normalizeCaseNumber(caseNumber)) problems.caseNumber = 'appeal.error.case_number_format';
      if (!isValidMainlandMobile(mobile)) problems.mobile = 'account.error.mobile_invalid';
      if (!captcha.trim()) problems.captcha = 'login.error.captcha_required';
      if (Object.keys(problems).length) throw new ValidationError(problems);
      if (!(await captchas.verify(captchaId, APPEAL_CAPTCHA_PURPOSE, captcha))) throw new ValidationError({ captcha: 'login.error.captcha_wrong' });
      await limit(ctx, 'appeal-status', LOOKUPS_PER_WINDOW, LOOKUP_WINDOW_SECONDS);
      const result = await appeals.status(caseNumber, mobile);
      return await renderStatus(ctx, values, result ? { result } : { notFound: true });
    } catch (error) {
      const { notes, status, summary } = refusedForm(error, ctx);
      return renderStatus(ctx, values, { notes, summary }, status);
    }
  });

  return router;
}
