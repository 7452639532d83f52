import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import type { AccountRepository } from '../../accounts/account.repository.js';
import { DOCUMENT_TYPES_BY_IDENTITY, type DocumentType } from '../../accounts/identity-documents.js';
import { validateDocumentNumber } from '../../accounts/identity-documents.js';
import { ValidationError } from '../../errors.js';
import { fieldMarkup, type FieldNotes } from '../../http/field-notes.js';
import { renderPage, type PageChrome } from '../../http/render.js';
import { browserId, requireCsrf } from '../../security/browser-csrf.js';
import type { CaptchaService } from '../../security/captcha.service.js';
import type { CsrfTokens } from '../../security/csrf.js';
import type { RateLimiter } from '../../security/rate-limiter.js';
import { SMS_CAPTCHA_PURPOSE } from '../../notify/sms.routes.js';
import type { NaturalRegistrationService } from './natural-registration.service.js';
import { NATURAL_REGISTRATION_FIELDS, type NaturalRegistrationForm } from './natural-registration.rules.js';
import type { RegistrationFlowRepository } from './registration-flow.repository.js';
import {
  limitLookups,
  lookupNote,
  lookUpLoginName,
  readTextFields,
  refusedForm,
  sendFormCode,
  showResult,
  type FormCodeSender,
} from './registration-form.js';
import { returnQuery, safeReturnPath } from './return-to.js';

export interface NaturalRegistrationDeps {
  chrome: PageChrome;
  csrf: CsrfTokens;
  registration: NaturalRegistrationService;
  flows: RegistrationFlowRepository;
  accounts: AccountRepository;
  captchas: CaptchaService;
  rateLimiter: RateLimiter;
  smsCodes: FormCodeSender;
  verification: { documentAlreadyVerified(documentType: DocumentType, documentNumber: string): Promise<boolean> };
}

export function naturalRegistrationRoutes(deps: NaturalRegistrationDeps): Router {
  const { chrome, csrf, registration, flows, captchas } = deps;
  const router = new Router({ prefix: '/register/natural' });
  router.use(bodyParser({ enableTypes: ['form'], formLimit: '16kb' }));

  async function renderForm(ctx: Context, form: Partial<NaturalRegistrationForm>, notes: FieldNotes = {}, status = 200, summary?: string) {
    const returnTo = safeReturnPath(ctx.query.return_to);
    renderPage(
      ctx,
      chrome,
      'register/natural',
      {
        form: { ...form, password: '', confirmPassword: '', smsCode: form.smsCode ?? '' },
        ui: fieldMarkup(notes),
        summary,
        documentTypesByIdentity: DOCUMENT_TYPES_BY_IDENTITY,
        captcha: await captchas.create(SMS_CAPTCHA_PURPOSE),
        csrf: ctx.state.csrfToken,
        action: `/register/natural${returnQuery(returnTo)}`,
        returnQuery: returnQuery(returnTo),
        scripts: ['/assets/register.js'],
      },
      status,
    );
  }

  router.get('/', (ctx) => renderForm(ctx, { identityType: 'mainland', documentType: 'resident_id' }));

  router.post('/', async (ctx) => {
    requireCsrf(ctx, csrf);
    const form = readTextFields(ctx, NATURAL_REGISTRATION_FIELDS);
    const action = (ctx.request.body as Record<string, unknown>).action;
    try {
      if (action === 'check_login_name') return await renderForm(ctx, form, await lookUpLoginName(ctx, deps, form.loginName));
      if (action === 'check_document') {
        const checked = validateDocumentNumber(form.documentType as DocumentType, form.documentNumber);
        // An own key only: "constructor" or "__proto__" must not reach Object's members.
        const documentTypes = Object.hasOwn(DOCUMENT_TYPES_BY_IDENTITY, form.identityType) ? DOCUMENT_TYPES_BY_IDENTITY[form.identityType as 'mainland'] : [];
        if (!documentTypes.includes(form.documentType as DocumentType)) {
          throw new ValidationError({ documentType: 'account.error.document_type_mismatch' });
        }
        if (!checked.ok) throw new ValidationError({ documentNumber: `account.error.document_${checked.reason}` });
        await limitLookups(ctx, deps.rateLimiter);
        const verified = await deps.verification.documentAlreadyVerified(form.documentType as DocumentType, checked.normalized);
        return await renderForm(ctx, form, lookupNote(ctx, 'documentNumber', verified, 'register.document_verified_elsewhere', 'register.document_free'));
      }
      if (action === 'send_sms') return await renderForm(ctx, form, await sendFormCode(ctx, deps, form.mobile));
      const { accountId, outcome } = await registration.register(form, { type: 'anonymous', ip: ctx.ip, requestId: ctx.state.requestId });
      const flowId = await flows.create({ accountId, verificationOutcome: outcome, returnTo: safeReturnPath(ctx.query.return_to) ?? null }, browserId(ctx)!);
      ctx.status = 303;
      ctx.redirect(`/register/natural/result/${flowId}`);
    } catch (error) {
      const { notes, status, summary } = refusedForm(error, ctx);
      return renderForm(ctx, form, notes, status, summary);
    }
  });

  router.get(
    '/result/:id',
    showResult(deps, {
      kind: 'natural',
      heading: 'register.natural',
      outcomePrefix: 'register.result.',
      signIn: (returnTo) => returnTo ?? '/portal/login?login_type=natural',
    }),
  );

  return router;
}
