import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import type { AccountRepository } from '../../accounts/account.repository.js';
import { DOCUMENT_TYPES_BY_IDENTITY, validateUscc } from '../../accounts/identity-documents.js';
import { ValidationError } from '../../errors.js';
import { fieldMarkup, type FieldNotes } from '../../http/field-notes.js';
import { renderPage, type PageChrome } from '../../http/render.js';
import { SMS_CAPTCHA_PURPOSE } from '../../notify/sms.routes.js';
import { browserId, requireCsrf } from '../../security/browser-csrf.js';
import type { CaptchaService } from '../../security/captcha.service.js';
import type { CsrfTokens } from '../../security/csrf.js';
import type { RateLimiter } from '../../security/rate-limiter.js';
import { LEGAL_REGISTRATION_FIELDS, ORG_TYPES, REGISTRATION_REGIONS, type LegalRegistrationForm } from './legal-registration.rules.js';
import type { LegalRegistrationService } from './legal-registration.service.js';
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

export interface LegalRegistrationDeps {
  chrome: PageChrome;
  csrf: CsrfTokens;
  registration: LegalRegistrationService;
  flows: RegistrationFlowRepository;
  accounts: AccountRepository;
  captchas: CaptchaService;
  rateLimiter: RateLimiter;
  smsCodes: FormCodeSender;
  entityVerification: { usccAlreadyVerified(uscc: string): Promise<boolean> };
}

/** The SMS code goes to the main agent's mobile: the code service's `mobile` is this form's `agentMobile`. */
const SERVICE_FIELDS = { mobile: 'agentMobile' };

/**
 * A sign-in page of the OP opens on the natural window unless told otherwise: a unit that has just
 * registered comes back to the legal one.
 */
function inLegalWindow(returnTo: string): string {
  return /^\/interaction\/[A-Za-z0-9_-]+$/.test(returnTo) ? `${returnTo}?window=legal` : returnTo;
}

/** 单位用户（法人）注册 (SPEC §3): the form, its three lookups, 获取验证码 without JavaScript, the result. */
export function legalRegistrationRoutes(deps: LegalRegistrationDeps): Router {
  const { chrome, csrf, registration, flows, accounts, captchas, rateLimiter } = deps;
  const router = new Router({ prefix: '/register/legal' });
  router.use(bodyParser({ enableTypes: ['form'], formLimit: '16kb' }));

  async function renderForm(ctx: Context, form: Partial<LegalRegistrationForm>, notes: FieldNotes = {}, status = 200, summary?: string) {
    const returnTo = safeReturnPath(ctx.query.return_to);
    renderPage(
      ctx,
      chrome,
      'register/legal',
      {
        form: { ...form, password: '', confirmPassword: '' },
        ui: fieldMarkup(notes),
        summary,
        regions: REGISTRATION_REGIONS,
        orgTypes: ORG_TYPES,
        documentTypesByIdentity: DOCUMENT_TYPES_BY_IDENTITY,
        captcha: await captchas.create(SMS_CAPTCHA_PURPOSE),
        csrf: ctx.state.csrfToken,
        action: `/register/legal${returnQuery(returnTo)}`,
        returnQuery: returnQuery(returnTo),
        scripts: ['/assets/register.js'],
      },
      status,
    );
  }

  async function lookUpOrgName(ctx: Context, form: LegalRegistrationForm): Promise<FieldNotes> {
    const orgName = form.orgName.trim();
    if (!orgName) throw new ValidationError({ orgName: 'account.error.org_name_required' });
    if ([...orgName].length > 100) throw new ValidationError({ orgName: 'account.error.org_name_too_long' });
    await limitLookups(ctx, rateLimiter);
    const registered = await accounts.orgNameRegistered(orgName);
    return lookupNote(ctx, 'orgName', registered, 'legal_register.org_name_registered', 'legal_register.org_name_free');
  }

  async function lookUpUscc(ctx: Context, form: LegalRegistrationForm): Promise<FieldNotes> {
    if (!form.uscc.trim()) throw new ValidationError({ uscc: 'legal_register.error.uscc_required' });
    const checked = validateUscc(form.uscc);
    if (!checked.ok) throw new ValidationError({ uscc: `account.error.uscc_${checked.reason}` });
    await limitLookups(ctx, rateLimiter);
    const verified = await deps.entityVerification.usccAlreadyVerified(checked.normalized);
    return lookupNote(ctx, 'uscc', verified, 'legal_register.uscc_verified_elsewhere', 'legal_register.uscc_free');
  }

  router.get('/', (ctx) =>
    renderForm(ctx, {
      registrationRegion: 'domestic',
      repIdentityType: 'mainland',
      repDocumentType: 'resident_id',
      agentIdentityType: 'mainland',
      agentDocumentType: 'resident_id',
    }),
  );

  router.post('/', async (ctx) => {
    requireCsrf(ctx, csrf);
    const form = readTextFields(ctx, LEGAL_REGISTRATION_FIELDS);
    const action = (ctx.request.body as Record<string, unknown>).action;
    try {
      if (action === 'check_login_name') return await renderForm(ctx, form, await lookUpLoginName(ctx, deps, form.loginName));
      if (action === 'check_org_name') return await renderForm(ctx, form, await lookUpOrgName(ctx, form));
      if (action === 'check_uscc') return await renderForm(ctx, form, await lookUpUscc(ctx, form));
      if (action === 'send_sms') return await renderForm(ctx, form, await sendFormCode(ctx, deps, form.agentMobile));
      const { accountId, outcome } = await registration.register(form, { type: 'anonymous', ip: ctx.ip, requestId: ctx.state.requestId });
      const flowId = await flows.create({ accountId, verificationOutcome: outcome, returnTo: safeReturnPath(ctx.query.return_to) ?? null }, browserId(ctx)!);
      ctx.status = 303;
      ctx.redirect(`/register/legal/result/${flowId}`);
    } catch (error) {
      const { notes, status, summary } = refusedForm(error, ctx, SERVICE_FIELDS);
      return renderForm(ctx, form, notes, status, summary);
    }
  });

  router.get(
    '/result/:id',
    showResult(deps, {
      kind: 'legal',
      heading: 'register.legal',
      outcomePrefix: 'legal_register.result.',
      signIn: (returnTo) => (returnTo ? inLegalWindow(returnTo) : '/portal/login?login_type=legal'),
    }),
  );

  return router;
}
