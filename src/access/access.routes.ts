import type Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { AccountRepository } from '../accounts/account.repository.js';
import type { Account, AccountKind } from '../accounts/account.types.js';
import { DomainError } from '../errors.js';
import { renderPage, type PageChrome } from '../http/render.js';
import type { Locale, Translate } from '../i18n/index.js';
import type { ClientRegistry } from '../oidc/clients.js';
import type { ReviewService } from '../review/review.service.js';
import type { RateLimiter } from '../security/rate-limiter.js';
import type { EntityVerificationService } from '../verification/entity-verification.service.js';
import { VERIFICATION_OUTCOME_MESSAGES } from '../verification/verification.messages.js';
import { legalOutcomeMessage } from '../verification/entity-verification.messages.js';
import type { VerificationService } from '../verification/verification.service.js';
import { isRealNameSettled } from '../accounts/account.types.js';
import { REAL_NAME_PROMPT, requestedEntity, SELECT_ENTITY_PROMPT, type SelectEntityResult } from './access-policy.js';
import type { EntityChoiceService, EntityDecision, EntityRefusal } from './entity-choice.service.js';

export type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>;

/** What the interaction router lends to the pages of the access policy's prompts. */
export interface InteractionKit {
  details(ctx: Context): Promise<InteractionDetails>;
  finish(ctx: Context, result: Record<string, unknown>): Promise<void>;
  requireCsrf(ctx: Context): void;
  csrfToken(uid: string): string;
  chrome: PageChrome;
}

export interface AccessPagesDeps {
  clients: ClientRegistry;
  entityChoice: EntityChoiceService;
  accounts: Pick<AccountRepository, 'findById'>;
  verification: Pick<VerificationService, 'verifyNaturalAccount'>;
  entityVerification: Pick<EntityVerificationService, 'verifyLegalAccount'>;
  reviews: Pick<ReviewService, 'latestDecisionFor'>;
  rateLimiter: RateLimiter;
}

/** 立即认证 asks a (paid) outside authority: a few tries per account and window are plenty. */
const VERIFY_ATTEMPTS = 10;
const VERIFY_WINDOW_SECONDS = 600;

/** What the RP is told when the user goes back from a page: error access_denied with this description. */
const ABORT_DESCRIPTIONS: Record<string, string> = {
  [REAL_NAME_PROMPT]: 'the account is not real-name verified',
  [SELECT_ENTITY_PROMPT]: 'the account may not act for an entity in this system',
  account_kind: 'this kind of account is not accepted by the client',
};

const isWindow = (value: unknown): value is AccountKind => value === 'natural' || value === 'legal';

/**
 * The pages of the access policy's prompts (access-policy.ts): real-name verification, the
 * refusal of a kind of account on the login page, the entity picker and the refusals. Each page
 * finishes its interaction and hands back to oidc-provider, whose checks then run again: a page
 * never decides the sign-in by itself.
 */
export function accessPages(deps: AccessPagesDeps, kit: InteractionKit) {
  const { clients, entityChoice, accounts, rateLimiter } = deps;

  const clientNameOf = (ctx: Context, interaction: InteractionDetails) => {
    const clientId = interaction.params.client_id as string;
    return clients.relyingParties.get(clientId)?.name[ctx.state.locale as Locale] ?? clientId;
  };

  async function signedInAccount(interaction: InteractionDetails): Promise<Account> {
    const accountId = interaction.session?.accountId;
    const account = accountId ? await accounts.findById(accountId) : undefined;
    if (!account) throw new DomainError('error.session_expired', 400);
    return account;
  }

  const continueUrl = (uid: string) => `/portal/me?return_to=${encodeURIComponent(`/interaction/${uid}`)}`;

  /** `notice`: what the last 立即认证 said. */
  async function showRealName(ctx: Context, interaction: InteractionDetails, account: Account, notice?: string, status = 200) {
    // Verified meanwhile (on My Information, or by a reviewer): the same sign-in goes on.
    if (isRealNameSettled(account.realNameStatus)) return kit.finish(ctx, {});
    const decision = account.realNameStatus === 'rejected' ? await deps.reviews.latestDecisionFor(account.id) : undefined;
    renderPage(
      ctx,
      kit.chrome,
      'access/real-name',
      {
        uid: interaction.uid,
        csrf: kit.csrfToken(interaction.uid),
        clientName: clientNameOf(ctx, interaction),
        account,
        rejectionReason: decision?.outcome === 'rejected' ? decision.reason : undefined,
        notice,
        // The sections of My Information for this kind of account.
        profileUrl: `${continueUrl(interaction.uid)}#${account.kind === 'legal' ? 'legal-title' : 'profile-title'}`,
        uploadUrl: `${continueUrl(interaction.uid)}#${account.kind === 'legal' ? 'legal-upload-title' : 'upload-title'}`,
      },
      status,
    );
  }

  function decide(account: Account, interaction: InteractionDetails, picked?: string): Promise<EntityDecision> {
    return entityChoice.decide(
      { id: account.id, kind: account.kind, uscc: account.legal?.uscc ?? null },
      interaction.params.client_id as string,
      { entity: requestedEntity(interaction.params.entity), picked },
    );
  }

  /** 403: the sign-in is refused, with what the user can do about it. */
  function showRefusal(ctx: Context, interaction: InteractionDetails, account: Account, reason: EntityRefusal) {
    renderPage(
      ctx,
      kit.chrome,
      'access/refused',
      {
        uid: interaction.uid,
        csrf: kit.csrfToken(interaction.uid),
        clientName: clientNameOf(ctx, interaction),
        account,
        reason,
        entity: requestedEntity(interaction.params.entity),
        realNameSettled: isRealNameSettled(account.realNameStatus),
      },
      403,
    );
  }

  function showPicker(ctx: Context, interaction: InteractionDetails, decision: Extract<EntityDecision, { kind: 'choose' }>, error?: string, status = 200) {
    renderPage(
      ctx,
      kit.chrome,
      'access/select-entity',
      {
        uid: interaction.uid,
        csrf: kit.csrfToken(interaction.uid),
        clientName: clientNameOf(ctx, interaction),
        candidates: decision.candidates,
        error,
      },
      status,
    );
  }

  async function showEntityStep(ctx: Context, interaction: InteractionDetails, account: Account) {
    const decision = await decide(account, interaction);
    if (decision.kind === 'refused') return showRefusal(ctx, interaction, account, decision.reason);
    if (decision.kind === 'choose') return showPicker(ctx, interaction, decision);
    // An authorization granted or revoked meanwhile left nothing to choose: the check decides again.
    return kit.finish(ctx, {});
  }

  return {
    handles: (prompt: string) => prompt === REAL_NAME_PROMPT || prompt === SELECT_ENTITY_PROMPT,

    async show(ctx: Context, interaction: InteractionDetails) {
      const account = await signedInAccount(interaction);
      if (interaction.prompt.name === REAL_NAME_PROMPT) return showRealName(ctx, interaction, account);
      return showEntityStep(ctx, interaction, account);
    },

    /**
     * The login page's word on the client's policy: which kind of account it accepts, and why the
     * page is shown again after a sign-in with another kind. The accepted kind's window comes first.
     */
    loginNotice(ctx: Context, interaction: InteractionDetails): { window?: AccountKind; message?: string } {
      const t = ctx.state.t as Translate;
      const kinds = clients.relyingParties.get(interaction.params.client_id as string)?.policy.accountKinds ?? [];
      if (kinds.length !== 1) return {};
      const [kind] = kinds as [AccountKind];
      const client = clientNameOf(ctx, interaction);
      const current = (interaction.prompt.details as { accountKind?: unknown }).accountKind;
      const refused = interaction.prompt.reasons.includes('account_kind') && isWindow(current);
      return {
        window: kind,
        message: refused
          ? t('access.kind.refused', { client, kind: t(`account_type.${kind}`), current: t(`account_type.${current}`) })
          : t('access.kind.only', { client, kind: t(`account_type.${kind}`) }),
      };
    },

    abortDescription(interaction: InteractionDetails): string {
      const { name, reasons } = interaction.prompt;
      if (name === 'login' && reasons.includes('account_kind')) return ABORT_DESCRIPTIONS.account_kind!;
      return ABORT_DESCRIPTIONS[name] ?? 'End-User aborted interaction';
    },

    routes(router: Router) {
      /** 立即认证: automatic verification again with the saved data; verified → the sign-in goes on. */
      router.post('/verify', async (ctx) => {
        const interaction = await kit.details(ctx);
        kit.requireCsrf(ctx);
        if (interaction.prompt.name !== REAL_NAME_PROMPT) throw new DomainError('error.session_expired', 400);
        const account = await signedInAccount(interaction);
        const t = ctx.state.t as Translate;
        const limit = await rateLimiter.hit(`access-verify:${account.id}`, VERIFY_ATTEMPTS, VERIFY_WINDOW_SECONDS);
        if (!limit.allowed) return showRealName(ctx, interaction, account, t('error.too_many_requests'), 429);
        const actor = { type: 'account' as const, id: account.id, ip: ctx.ip, requestId: ctx.state.requestId as string | undefined };
        const { outcome } =
          account.kind === 'legal'
            ? await deps.entityVerification.verifyLegalAccount(account.id, actor)
            : await deps.verification.verifyNaturalAccount(account.id, actor);
        // Units are checked by name, USCC and legal representative: their own wording.
        const message = account.legal ? legalOutcomeMessage(outcome, account.legal.registrationRegion) : VERIFICATION_OUTCOME_MESSAGES[outcome];
        await showRealName(ctx, interaction, (await accounts.findById(account.id)) ?? account, t(message));
      });

      /** The picker's choice; the select_entity check accepts it only if it is still a candidate. */
      router.post('/entity', async (ctx) => {
        const interaction = await kit.details(ctx);
        kit.requireCsrf(ctx);
        if (interaction.prompt.name !== SELECT_ENTITY_PROMPT) throw new DomainError('error.session_expired', 400);
        const account = await signedInAccount(interaction);
        const picked = (ctx.request.body as Record<string, unknown>)?.authorizationId;
        const decision = await decide(account, interaction, typeof picked === 'string' ? picked : undefined);
        if (decision.kind === 'refused') return showRefusal(ctx, interaction, account, decision.reason);
        if (decision.kind === 'choose') {
          return showPicker(ctx, interaction, decision, (ctx.state.t as Translate)('access.entity.error.choose'), 400);
        }
        const result: Partial<SelectEntityResult> =
          decision.kind === 'chosen' ? { select_entity: { authorizationId: decision.authorization.id } } : {};
        await kit.finish(ctx, result);
      });
    },
  };
}

export type AccessPages = ReturnType<typeof accessPages>;
