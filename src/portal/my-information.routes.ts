import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware } from 'koa';
import type { Account } from '../accounts/account.types.js';
import { DOCUMENT_TYPES_BY_IDENTITY } from '../accounts/identity-documents.js';
import type { NaturalProfileInput } from '../accounts/natural-profile.rules.js';
import type { ProfileService } from '../accounts/profile.service.js';
import { VERIFICATION_OUTCOME_MESSAGES } from '../verification/verification.messages.js';
import { canEditIdentityFields, type VerificationOutcome, type VerificationService } from '../verification/verification.service.js';
import { DomainError, ValidationError } from '../errors.js';
import { renderPage, type PageChrome } from '../http/render.js';
import type { Translate } from '../i18n/index.js';
import { requireCsrf } from '../security/browser-csrf.js';
import type { ReviewService } from '../review/review.service.js';
import { handleVerificationUpload, type VerificationUploadDeps } from '../uploads/verification-upload.routes.js';
import { maskMobile } from '../security/pii-crypto.js';
import type { CaptchaService } from '../security/captcha.service.js';
import type { SmsCodeService } from '../notify/sms-code.service.js';
import { SMS_CAPTCHA_PURPOSE } from '../notify/sms.routes.js';
import { isValidMainlandMobile, normalizeMobile } from '../accounts/identity-documents.js';
import type { CsrfTokens } from '../security/csrf.js';
import { requirePortalLogin } from './portal-auth.routes.js';
import type { PortalSessionRepository } from './portal-session.repository.js';
import { legalInformationRoutes, legalPageData, type LegalInformationDeps, type LegalSection } from './legal-information.routes.js';
import type { SignInReturn } from './sign-in-return.js';

export interface MyInformationDeps {
  /** A password change ends the account's other portal sessions. */
  portalSessions: Pick<PortalSessionRepository, 'deleteOthers'>;
  profiles: ProfileService;
  csrf: CsrfTokens;
  chrome: PageChrome;
  /** Loads ctx.state.portal (see portalSession). */
  portalSessionMiddleware: Middleware;
  verification: Pick<VerificationService, 'verifyNaturalAccount'>;
  /** Manual verification: the document images and the review case they open. */
  upload: VerificationUploadDeps;
  reviews: Pick<ReviewService, 'latestDecisionFor'>;
  smsCodes: Pick<SmsCodeService, 'requestCode'>;
  captchas: CaptchaService;
  /** 修改法人信息 and 上传法人信息 for legal accounts. */
  legal: LegalInformationDeps;
  /** The business system's sign-in that sent the user here (返回继续登录). */
  signInReturn: SignInReturn;
}

type Section = 'profile' | 'password' | 'upload' | 'mobile' | LegalSection;

interface FormState {
  section?: Section;
  values?: Record<string, string>;
  errors?: Record<string, string>;
  /** A success note for the section (e.g. "code sent"). */
  note?: string;
}

const PROFILE_FIELDS: Array<keyof NaturalProfileInput> = [
  'name', 'gender', 'ethnicity', 'position', 'birthDate', 'email', 'landline',
  'identityType', 'documentType', 'documentNumber', 'documentValidUntil', 'documentLongTerm', 'address',
];

function profileValues(account: Account): Record<string, string> {
  const n = account.natural;
  return {
    name: n?.name ?? '',
    gender: n?.gender ?? '',
    ethnicity: n?.ethnicity ?? '',
    position: n?.position ?? '',
    birthDate: n?.birthDate ?? '',
    email: account.email ?? '',
    landline: n?.landline ?? '',
    identityType: n?.identityType ?? '',
    documentType: n?.documentType ?? '',
    // Never sent back in clear: the field shows the masked number and stays unchanged if untouched.
    documentNumber: '',
    documentValidUntil: n?.documentValidUntil ?? '',
    documentLongTerm: n?.documentLongTerm ? 'on' : '',
    address: n?.address ?? '',
  };
}

const actorOf = (ctx: Context, account: Account) => ({ type: 'account' as const, id: account.id, ip: ctx.ip, requestId: ctx.state.requestId });

/** The outcome named in the redirect after a save, as a message key and how to show it. */
function verificationMessage(value: unknown) {
  if (typeof value !== 'string' || !(value in VERIFICATION_OUTCOME_MESSAGES)) return undefined;
  const outcome = value as VerificationOutcome;
  return { key: VERIFICATION_OUTCOME_MESSAGES[outcome], success: outcome === 'verified' };
}


/** 在线办事 → 我的信息: the signed-in user's own information, password and real-name status. */
export function myInformationRoutes(deps: MyInformationDeps): Router {
  const { profiles, csrf, chrome, portalSessionMiddleware } = deps;
  const router = new Router({ prefix: '/portal/me' });
  router.use(portalSessionMiddleware);
  router.use(requirePortalLogin());
  router.use(bodyParser({ enableTypes: ['form'], formLimit: '32kb' }));

  async function render(ctx: Context, state: FormState = {}, status = 200) {
    const account = ctx.state.portal.account as Account;
    const decision = account.realNameStatus === 'rejected' ? await deps.reviews.latestDecisionFor(account.id) : undefined;
    renderPage(
      ctx,
      chrome,
      'portal/me',
      {
        account,
        mobileMasked: maskMobile(account.mobile),
        rejectionReason: decision?.outcome === 'rejected' ? decision.reason : undefined,
        canUpload: account.kind === 'natural' && canEditIdentityFields(account) && Boolean(account.natural?.documentNumberMasked),
        locked: !canEditIdentityFields(account),
        documentTypesByIdentity: DOCUMENT_TYPES_BY_IDENTITY,
        profile: state.section === 'profile' ? state.values : profileValues(account),
        mobileForm: state.section === 'mobile' ? state.values : {},
        note: state.note,
        captcha: await deps.captchas.create(SMS_CAPTCHA_PURPOSE),
        errors: state.errors ?? {},
        section: state.section,
        // A reload after the decision must not announce "submitted" beside the outcome.
        saved: typeof ctx.query.saved === 'string' && !(ctx.query.saved === 'upload' && account.realNameStatus !== 'pending_review') ? ctx.query.saved : undefined,
        verification: verificationMessage(ctx.query.verification),
        legal: account.kind === 'legal' ? legalPageData(ctx, account, state) : undefined,
        csrf: ctx.state.csrfToken,
        signInReturn: await deps.signInReturn.current(ctx),
      },
      status,
    );
  }

  router.get('/', (ctx) => {
    deps.signInReturn.remember(ctx);
    return render(ctx);
  });

  /** 上传自然人信息: the document's front and back for manual review, when automatic verification failed. */
  router.post('/upload', async (ctx) => {
    const account = ctx.state.portal.account as Account;
    try {
      await handleVerificationUpload(ctx, account.id, deps.upload);
      ctx.redirect('/portal/me?saved=upload');
    } catch (error) {
      if (!(error instanceof DomainError) || error.status === 403 || error.status >= 500) throw error;
      const t = ctx.state.t as Translate;
      const errors = error.fieldMessages(t);
      await render(ctx, { section: 'upload', errors: Object.keys(errors).length ? errors : { upload: t(error.code, error.params) } }, error.status);
    }
  });

  router.post('/profile', async (ctx) => {
    requireCsrf(ctx, csrf);
    const account = ctx.state.portal.account as Account;
    const body = ctx.request.body as Record<string, unknown>;
    const input = Object.fromEntries(PROFILE_FIELDS.map((field) => [field, typeof body[field] === 'string' ? (body[field] as string) : ''])) as NaturalProfileInput;
    // An untouched document number field means "keep the stored one".
    const keepDocument = !input.documentNumber && Boolean(account.natural?.documentNumberMasked);
    try {
      const { identityChanged } = await profiles.updateNaturalProfile(
        account,
        keepDocument ? { ...input, documentNumber: await profiles.currentDocumentNumber(account.id) } : input,
        actorOf(ctx, account),
      );
      // Saving new identity data runs automatic verification at once (SPEC §4).
      if (identityChanged) {
        const { outcome } = await deps.verification.verifyNaturalAccount(account.id, actorOf(ctx, account));
        return ctx.redirect(`/portal/me?saved=profile&verification=${outcome}`);
      }
      ctx.redirect('/portal/me?saved=profile');
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      await render(ctx, { section: 'profile', values: input as Record<string, string>, errors: error.fieldMessages(ctx.state.t) }, 400);
    }
  });

  /** 实名认证: try automatic verification again with the saved data (e.g. after an outage). */
  router.post('/verify', async (ctx) => {
    requireCsrf(ctx, csrf);
    const account = ctx.state.portal.account as Account;
    const { outcome } = await deps.verification.verifyNaturalAccount(account.id, actorOf(ctx, account));
    ctx.redirect(`/portal/me?verification=${outcome}`);
  });

  /** 更换手机号: codes to the current and the new number (each after a captcha), then the change. */
  router.post('/mobile', async (ctx) => {
    requireCsrf(ctx, csrf);
    const account = ctx.state.portal.account as Account;
    const body = ctx.request.body as Record<string, unknown>;
    const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string).slice(0, 64) : '');
    const values = { newMobile: text('newMobile'), oldCode: text('oldCode'), newCode: text('newCode') };
    const t = ctx.state.t as Translate;
    try {
      const action = body.action;
      if (action === 'send_old' || action === 'send_new') {
        if (!(await deps.captchas.verify(text('captchaId'), SMS_CAPTCHA_PURPOSE, text('captcha')))) {
          throw new ValidationError({ captcha: 'login.error.captcha_wrong' });
        }
        const target = action === 'send_old' ? account.mobile : normalizeMobile(values.newMobile);
        if (action === 'send_new' && (!isValidMainlandMobile(target) || target === account.mobile)) {
          throw new ValidationError({ newMobile: isValidMainlandMobile(target) ? 'me.error.mobile_same' : 'account.error.mobile_invalid' });
        }
        await deps.smsCodes.requestCode({ mobile: target, purpose: 'change_mobile', ip: ctx.ip, requestId: ctx.state.requestId });
        const key = action === 'send_old' ? 'me.mobile_code_sent_old' : 'me.mobile_code_sent_new';
        return await render(ctx, { section: 'mobile', values, note: t(key, { mobile: maskMobile(target) }) });
      }
      await profiles.changeMobile(account, values, actorOf(ctx, account));
      ctx.redirect('/portal/me?saved=mobile');
    } catch (error) {
      if (!(error instanceof DomainError) || error.status === 403 || error.status >= 500) throw error;
      const errors = error.fieldMessages(t);
      await render(ctx, { section: 'mobile', values, errors: Object.keys(errors).length ? errors : { mobile: t(error.code, error.params) } }, error.status);
    }
  });

  router.post('/password', async (ctx) => {
    requireCsrf(ctx, csrf);
    const account = ctx.state.portal.account as Account;
    const body = ctx.request.body as Record<string, unknown>;
    const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '');
    try {
      await profiles.changePassword(
        account,
        { currentPassword: text('currentPassword'), newPassword: text('newPassword'), confirmPassword: text('confirmPassword') },
        { type: 'account', id: account.id, ip: ctx.ip, requestId: ctx.state.requestId },
      );
      // The OP sessions ended with the change; a portal open elsewhere (perhaps by whoever knew the
      // old password) ends too, this one stays.
      await deps.portalSessions.deleteOthers(account.id, ctx.state.portal.sessionId as string);
      ctx.redirect('/portal/me?saved=password');
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      await render(ctx, { section: 'password', errors: error.fieldMessages(ctx.state.t) }, 400);
    }
  });

  legalInformationRoutes(router, deps.legal, deps.upload, render);
  return router;
}
