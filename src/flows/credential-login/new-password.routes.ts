import type Router from '@koa/router';
import type { Context } from 'koa';
import type { InteractionDetails, InteractionKit } from '../../access/access.routes.js';
import type { AccountRepository } from '../../accounts/account.repository.js';
import type { Account } from '../../accounts/account.types.js';
import { DomainError, ValidationError } from '../../errors.js';
import { fieldMarkup, type FieldNotes } from '../../http/field-notes.js';
import { renderPage } from '../../http/render.js';
import type { Locale, Translate } from '../../i18n/index.js';
import type { ClientRegistry } from '../../oidc/clients.js';
import { CHANGE_PASSWORD_PROMPT } from './change-password.policy.js';
import { CredentialNoLongerValid, type NewPasswordService } from './new-password.service.js';

export interface NewPasswordPagesDeps {
  clients: ClientRegistry;
  accounts: Pick<AccountRepository, 'findById'>;
  newPasswords: NewPasswordService;
}

interface PageState {
  errors?: Record<string, string>;
  /** The credential can no longer set the password: the page offers the ways out instead of the form. */
  credentialInvalid?: boolean;
}

/**
 * 设置新密码, the page of the change_password prompt (change-password.policy.ts). Setting the
 * password hands the login back to oidc-provider as a password sign-in, so the same authorization
 * request goes on to the remaining steps and the RP (or the portal).
 */
export function newPasswordPages(deps: NewPasswordPagesDeps, kit: InteractionKit) {
  const { clients, accounts, newPasswords } = deps;

  async function signedInAccount(interaction: InteractionDetails): Promise<Account> {
    const accountId = interaction.session?.accountId;
    const account = accountId ? await accounts.findById(accountId) : undefined;
    if (!account) throw new DomainError('error.session_expired', 400);
    if (account.status !== 'active') throw new DomainError('login.error.disabled', 403);
    return account;
  }

  function render(ctx: Context, interaction: InteractionDetails, account: Account, state: PageState, status = 200) {
    const clientId = interaction.params.client_id as string;
    const t = ctx.state.t as Translate;
    const notes: FieldNotes = Object.fromEntries(Object.entries(state.errors ?? {}).map(([name, text]) => [name, { kind: 'error', text }]));
    renderPage(
      ctx,
      kit.chrome,
      'credential/new-password',
      {
        uid: interaction.uid,
        csrf: kit.csrfToken(interaction.uid),
        clientName: clients.relyingParties.get(clientId)?.name[ctx.state.locale as Locale] ?? clientId,
        account,
        ui: fieldMarkup(notes),
        formError: state.errors ? t('error.validation') : undefined,
        credentialInvalid: state.credentialInvalid ?? false,
        scripts: state.credentialInvalid ? [] : ['/assets/register.js'],
      },
      status,
    );
  }

  return {
    handles: (prompt: string) => prompt === CHANGE_PASSWORD_PROMPT,

    async show(ctx: Context, interaction: InteractionDetails) {
      const account = await signedInAccount(interaction);
      render(ctx, interaction, account, { credentialInvalid: !(await newPasswords.credentialValid(account.id)) });
    },

    routes(router: Router) {
      router.post('/new-password', async (ctx) => {
        const interaction = await kit.details(ctx);
        kit.requireCsrf(ctx);
        if (interaction.prompt.name !== CHANGE_PASSWORD_PROMPT) throw new DomainError('error.session_expired', 400);
        const account = await signedInAccount(interaction);
        const sessionUid = interaction.session?.uid;
        if (!sessionUid) throw new DomainError('error.session_expired', 400);
        const body = (ctx.request.body ?? {}) as Record<string, unknown>;
        const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '');
        try {
          await newPasswords.setPassword(
            account,
            { newPassword: text('newPassword'), confirmPassword: text('confirmPassword') },
            sessionUid,
            { type: 'account', id: account.id, ip: ctx.ip, requestId: ctx.state.requestId as string | undefined },
          );
        } catch (error) {
          if (error instanceof ValidationError) return render(ctx, interaction, account, { errors: error.fieldMessages(ctx.state.t as Translate) }, 400);
          if (error instanceof CredentialNoLongerValid) return render(ctx, interaction, account, { credentialInvalid: true }, error.status);
          throw error;
        }
        // The session now stands on the password just set: amr pwd ends the change_password prompt.
        await kit.finish(ctx, { login: { accountId: account.id, amr: ['pwd'], remember: true, ts: Math.floor(Date.now() / 1000) } });
      });
    },
  };
}

export type NewPasswordPages = ReturnType<typeof newPasswordPages>;
