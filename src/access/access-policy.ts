/**
 * Each business system's access policy (SPEC §9), enforced where oidc-provider decides whether an
 * authorization request needs the user: its interaction policy. Every authorization request (a
 * first sign-in, single sign-on into another system, every resume after a page) runs these checks
 * again, so nothing is remembered from one system or one sign-in to the next.
 *
 *   login ─ + account_kind: a kind the client does not accept → the login page again, with the
 *           right window and the reason
 *   real_name: the client requires a verified (or reviewed) account → the real-name page
 *   consent (oidc-provider's)
 *   select_entity: a natural account and a client that needs an entity → the picker, or the
 *           refusal page; one effective authorization is chosen without a page
 *
 * select_entity comes after consent: when it passes, the request is answered at once, and the grant
 * it binds the choice to has been saved (by loadExistingGrant for first-party clients, by the
 * consent page otherwise).
 */
import { errors, interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { type ClaimsAccount, isRealNameSettled } from '../accounts/account.types.js';
import { validateUscc } from '../accounts/identity-documents.js';
import type { ClientRegistry } from '../oidc/clients.js';
import type { EntityChoiceService, EntityDecision, RequestActor } from './entity-choice.service.js';

const { Check, Prompt } = interactionPolicy;

export const REAL_NAME_PROMPT = 'real_name';
export const SELECT_ENTITY_PROMPT = 'select_entity';

/** The interaction result the picker submits, read back by the select_entity check. */
export interface SelectEntityResult {
  select_entity: { authorizationId: string };
}


/** The account findAccount loaded for this request (provider.ts hands it over as `profile`). */
export function requestAccount(ctx: KoaContextWithOIDC): ClaimsAccount | undefined {
  return (ctx.oidc.account as { profile?: ClaimsAccount } | undefined)?.profile;
}

/** The RP's `entity` parameter, normalised; undefined when absent (its format is checked by validateEntityParameter). */
export function requestedEntity(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const checked = validateUscc(value);
  return checked.ok ? checked.normalized : undefined;
}

/** extraParams validator: `entity` must be a USCC; anything else is the RP's error (invalid_request). */
export async function validateEntityParameter(_ctx: KoaContextWithOIDC, value: string | undefined): Promise<void> {
  if (value !== undefined && !validateUscc(value).ok) {
    throw new errors.InvalidRequest('entity must be a unified social credit code (GB 32100-2015)');
  }
}

const actorOf = (ctx: KoaContextWithOIDC): RequestActor => ({ ip: ctx.ip, requestId: ctx.state.requestId as string | undefined });

/** Ends every token of a grant (not the grant): see EntityChoiceService.bind. */
const endGrantTokens = (ctx: KoaContextWithOIDC) => async (grantId: string) => {
  const { AccessToken, RefreshToken, AuthorizationCode } = ctx.oidc.provider;
  await Promise.all([AccessToken, RefreshToken, AuthorizationCode].map((model) => model.revokeByGrantId(grantId)));
};

export interface AccessPolicyDeps {
  clients: ClientRegistry;
  entityChoice: EntityChoiceService;
}

/** oidc-provider's base policy (login, consent) with our checks and prompts. */
export function accessPolicy(deps: AccessPolicyDeps): interactionPolicy.DefaultPolicy {
  const { clients, entityChoice } = deps;
  const policyOf = (ctx: KoaContextWithOIDC) => clients.relyingParties.get(ctx.oidc.client!.clientId)?.policy;
  const policy = interactionPolicy.base();

  policy.get('login')!.checks.add(
    new Check(
      'account_kind',
      'the client does not accept this kind of account',
      'login_required',
      async (ctx) => {
        const account = requestAccount(ctx);
        const accepted = policyOf(ctx)?.accountKinds;
        if (!account || !accepted || accepted.includes(account.kind)) return Check.NO_NEED_TO_PROMPT;
        await entityChoice.recordRefusal(
          { accountId: account.id, clientId: ctx.oidc.client!.clientId, reason: 'account_kind', details: { accountKind: account.kind } },
          actorOf(ctx),
        );
        return Check.REQUEST_PROMPT;
      },
      (ctx) => ({ accountKind: requestAccount(ctx)?.kind }),
    ),
  );

  const realName = new Prompt(
    { name: REAL_NAME_PROMPT, requestable: false },
    new Check(
      'real_name_required',
      'the client requires a real-name verified account',
      'interaction_required',
      async (ctx) => {
        const account = requestAccount(ctx);
        if (!account || !policyOf(ctx)?.realNameRequired || isRealNameSettled(account.realNameStatus)) return Check.NO_NEED_TO_PROMPT;
        await entityChoice.recordRefusal(
          { accountId: account.id, clientId: ctx.oidc.client!.clientId, reason: 'real_name', details: { realNameStatus: account.realNameStatus } },
          actorOf(ctx),
        );
        return Check.REQUEST_PROMPT;
      },
      (ctx) => ({ realNameStatus: requestAccount(ctx)?.realNameStatus }),
    ),
  );
  policy.add(realName, policy.findIndex((prompt) => prompt.name === 'consent'));

  const decisions = new WeakMap<KoaContextWithOIDC, EntityDecision>();
  policy.add(
    new Prompt(
      { name: SELECT_ENTITY_PROMPT, requestable: false },
      new Check(
        'entity_selection',
        'the client needs the entity the account acts for',
        'interaction_required',
        async (ctx) => {
          const account = requestAccount(ctx);
          if (!account) return Check.NO_NEED_TO_PROMPT;
          const { oidc } = ctx;
          const clientId = oidc.client!.clientId;
          const picked = (oidc.result as Partial<SelectEntityResult> | undefined)?.select_entity?.authorizationId;
          const decision = await entityChoice.decide(
            { id: account.id, kind: account.kind, uscc: account.legal?.uscc ?? null },
            clientId,
            { entity: requestedEntity(oidc.params?.entity), picked: typeof picked === 'string' ? picked : undefined },
          );
          decisions.set(ctx, decision);
          switch (decision.kind) {
            case 'not_needed':
              return Check.NO_NEED_TO_PROMPT;
            case 'chosen':
              await entityChoice.bind(
                { grantId: oidc.grant!.jti, agentAccountId: account.id, clientId, authorization: decision.authorization, method: decision.method },
                endGrantTokens(ctx),
                actorOf(ctx),
              );
              return Check.NO_NEED_TO_PROMPT;
            case 'refused':
              await entityChoice.recordRefusal(
                { accountId: account.id, clientId, reason: decision.reason, details: { entity: requestedEntity(oidc.params?.entity) } },
                actorOf(ctx),
              );
              return Check.REQUEST_PROMPT;
            case 'choose':
              return Check.REQUEST_PROMPT;
          }
        },
        (ctx) => {
          const decision = decisions.get(ctx);
          return { decision: decision?.kind, reason: decision?.kind === 'refused' ? decision.reason : undefined };
        },
      ),
    ),
  );
  return policy;
}
