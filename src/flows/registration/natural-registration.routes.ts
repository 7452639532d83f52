import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import type { AccountRepository } from '../../accounts/account.repository.js';
import { DOCUMENT_TYPES_BY_IDENTITY, type DocumentType } from '../../accounts/identity-documents.js';
import { validateDocumentNumber } from '../../accounts/identity-documents.js';
import { validateLoginName } from '../../accounts/login-name.js';
import { DomainError, ValidationError } from '../../errors.js';
import { renderPage, type PageChrome } from '../../http/render.js';
import { browserId, requireCsrf } from '../../security/browser-csrf.js';
import type { CaptchaService } from '../../security/captcha.service.js';
import type { CsrfTokens } from '../../security/csrf.js';
import type { RateLimiter } from '../../security/rate-limiter.js';
import { SMS_CAPTCHA_PURPOSE } from '../../notify/sms.routes.js';
import { SmsCodeRateLimited } from '../../notify/sms-code.service.js';
import type { NaturalRegistrationService } from './natural-registration.service.js';
import { NATURAL_REGISTRATION_FIELDS, type NaturalRegistrationForm } from './natural-registration.rules.js';
import type { RegistrationFlowRepository } from './registration-flow.repository.js';
import { returnQuery, safeReturnPath } from './return-to.js';

export interface NaturalRegistrationDeps {
  chrome: PageChrome;
  csrf: CsrfTokens;
  registration: NaturalRegistrationService;
  flows: RegistrationFlowRepository;
  accounts: AccountRepository;
  captchas: CaptchaService;
  rateLimiter: RateLimiter;
  smsCodes: { requestCode(input: { mobile: string; purpose: 'register'; ip: string; requestId?: string }): Promise<{ resendAfterSeconds: number }> };
  verification: { documentAlreadyVerified(documentType: DocumentType, documentNumber: string): Promise<boolean> };
}

/** Lookups that tell something about other people's accounts are limited per address. */
export const CHECKS_PER_WINDOW = 20;
const CHECK_WINDOW_SECONDS = 10 * 60;

type Notes = Partial<Record<keyof NaturalRegistrationForm | 'captcha', { kind: 'error' | 'ok'; text: string }>>;

export function naturalRegistrationRoutes(deps: NaturalRegistrationDeps): Router {
  const { chrome, csrf, registration, flows, accounts, captchas, rateLimiter } = deps;
  const router = new Router({ prefix: '/register/natural' });
  router.use(bodyParser({ enableTypes: ['form'], formLimit: '16kb' }));

  async function renderForm(ctx: Context, form: Partial<NaturalRegistrationForm>, notes: Notes = {}, status = 200, summary?: string) {
    const returnTo = safeReturnPath(ctx.query.return_to);
    renderPage(
      ctx,
      chrome,
      'register/natural',
      {
        form: { ...form, password: '', confirmPassword: '', smsCode: form.smsCode ?? '' },
        notes,
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

  function readForm(ctx: Context): NaturalRegistrationForm {
    const body = ctx.request.body as Record<string, unknown>;
    const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string).slice(0, 200) : '');
    return Object.fromEntries(NATURAL_REGISTRATION_FIELDS.map((field) => [field, text(field)])) as unknown as NaturalRegistrationForm;
  }

  async function limitChecks(ctx: Context) {
    const limit = await rateLimiter.hit(`registration-check:${ctx.ip}`, CHECKS_PER_WINDOW, CHECK_WINDOW_SECONDS);
    if (!limit.allowed) {
      ctx.set('Retry-After', String(limit.retryAfterSeconds));
      throw new DomainError('error.too_many_requests', 429);
    }
  }

  const errorNotes = (error: DomainError, ctx: Context): Notes =>
    Object.fromEntries(Object.entries(error.fields).map(([field, key]) => [field, { kind: 'error', text: ctx.state.t(key!, error.params) }]));

  router.get('/', (ctx) => renderForm(ctx, { identityType: 'mainland', documentType: 'resident_id' }));

  router.post('/', async (ctx) => {
    requireCsrf(ctx, csrf);
    const form = readForm(ctx);
    const action = (ctx.request.body as Record<string, unknown>).action;
    const t = ctx.state.t;
    try {
      if (action === 'check_login_name') {
        const checked = validateLoginName(form.loginName);
        if (!checked.ok) throw new ValidationError({ loginName: `account.error.login_name_${checked.reason}` });
        await limitChecks(ctx);
        const taken = await accounts.loginNameTaken(checked.normalized);
        return renderForm(ctx, form, { loginName: taken ? { kind: 'error', text: t('account.error.login_name_taken') } : { kind: 'ok', text: t('register.login_name_available') } });
      }
      if (action === 'check_document') {
        const checked = validateDocumentNumber(form.documentType as DocumentType, form.documentNumber);
        // An own key only: "constructor" or "__proto__" must not reach Object's members.
        const documentTypes = Object.hasOwn(DOCUMENT_TYPES_BY_IDENTITY, form.identityType) ? DOCUMENT_TYPES_BY_IDENTITY[form.identityType as 'mainland'] : [];
        if (!documentTypes.includes(form.documentType as DocumentType)) {
          throw new ValidationError({ documentType: 'account.error.document_type_mismatch' });
        }
        if (!checked.ok) throw new ValidationError({ documentNumber: `account.error.document_${checked.reason}` });
        await limitChecks(ctx);
        const verified = await deps.verification.documentAlreadyVerified(form.documentType as DocumentType, checked.normalized);
        return renderForm(ctx, form, {
          documentNumber: verified ? { kind: 'error', text: t('register.document_verified_elsewhere') } : { kind: 'ok', text: t('register.document_free') },
        });
      }
      if (action === 'send_sms') {
        const body = ctx.request.body as Record<string, string | undefined>;
        if (typeof body.captcha !== 'string' || !body.captcha.trim()) throw new ValidationError({ captcha: 'login.error.captcha_required' });
        if (!(await captchas.verify(body.captchaId, SMS_CAPTCHA_PURPOSE, body.captcha))) {
          throw new ValidationError({ captcha: 'login.error.captcha_wrong' });
        }
        const { resendAfterSeconds } = await deps.smsCodes.requestCode({ mobile: form.mobile.trim(), purpose: 'register', ip: ctx.ip, requestId: ctx.state.requestId });
        return renderForm(ctx, form, { smsCode: { kind: 'ok', text: t('register.sms_sent', { seconds: resendAfterSeconds }) } });
      }
      const { accountId, outcome } = await registration.register(form, { type: 'anonymous', ip: ctx.ip, requestId: ctx.state.requestId });
      const flowId = await flows.create({ accountId, verificationOutcome: outcome, returnTo: safeReturnPath(ctx.query.return_to) ?? null }, browserId(ctx)!);
      ctx.status = 303;
      ctx.redirect(`/register/natural/result/${flowId}`);
    } catch (error) {
      if (!(error instanceof DomainError) || error.status >= 500) throw error;
      if (error.status === 403) throw error;
      if (error instanceof SmsCodeRateLimited) ctx.set('Retry-After', String(error.retryAfterSeconds));
      const notes = errorNotes(error, ctx);
      return renderForm(ctx, form, notes, error.status, error instanceof ValidationError ? t('error.validation') : t(error.code, error.params));
    }
  });

  router.get('/result/:id', async (ctx) => {
    const flow = await flows.find(ctx.params.id!, browserId(ctx));
    if (!flow) throw new DomainError('register.error.flow_expired', 404);
    const account = await accounts.findById(flow.accountId);
    renderPage(ctx, chrome, 'register/result', {
      loginName: account?.loginName,
      outcome: flow.verificationOutcome,
      returnTo: flow.returnTo ?? '/portal/login?login_type=natural',
    });
  });

  return router;
}
