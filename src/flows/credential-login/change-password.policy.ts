/**
 * The forced new password after a sign-in with a one-time credential (SPEC §7), as a step of
 * oidc-provider's interaction policy, like the access policy's prompts (src/access/access-policy.ts).
 *
 *   login ─ with the credential: the session's amr is ['otc']
 *   change_password: asked while the session's amr says otc ─▶ 设置新密码 ─▶ the page hands the
 *           login back with amr ['pwd'] (the session now stands on the password just set)
 *   real_name, consent, select_entity: after it, so no other step is offered to, and no RP receives
 *           anything from, a sign-in that has not replaced its credential
 *
 * The mark lives on the OP session, not in one interaction: single sign-on into any other system,
 * or the same request resumed after the page was closed, asks again until the password is set.
 * Not requestable: prompt=none gets interaction_required.
 */
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';

const { Check, Prompt } = interactionPolicy;

export const CHANGE_PASSWORD_PROMPT = 'change_password';

/** The login result's amr for a sign-in with a one-time credential (RFC 8176 has no value for it). */
export const ONE_TIME_CREDENTIAL_AMR = 'otc';

export const signedInWithCredential = (amr: readonly string[] | undefined) => Boolean(amr?.includes(ONE_TIME_CREDENTIAL_AMR));

/** Adds the change_password prompt right after login, before every other step. */
export function requirePasswordChange(policy: interactionPolicy.DefaultPolicy): interactionPolicy.DefaultPolicy {
  policy.add(
    new Prompt(
      { name: CHANGE_PASSWORD_PROMPT, requestable: false },
      new Check(
        'one_time_credential',
        'the account signed in with a one-time credential and must set a new password',
        'interaction_required',
        (ctx: KoaContextWithOIDC) =>
          ctx.oidc.session?.accountId && signedInWithCredential(ctx.oidc.session.amr) ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT,
      ),
    ),
    policy.findIndex((prompt) => prompt.name === 'login') + 1,
  );
  return policy;
}
