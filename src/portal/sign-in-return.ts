import type { Context } from 'koa';

const COOKIE = 'portal_sign_in';
const INTERACTION_PATH = /^\/interaction\/([A-Za-z0-9_-]{1,64})$/;

/** Only a sign-in waiting on this OP: anything else would make My Information an open redirect. */
export function interactionPath(value: unknown): string | undefined {
  return typeof value === 'string' && INTERACTION_PATH.test(value) ? value : undefined;
}

/**
 * A business system's sign-in that sent the user to My Information to complete their data (the
 * real-name page's 完善信息 / 上传材料): `/portal/me?return_to=/interaction/<uid>` is remembered in a
 * cookie for My Information's pages, so saves and uploads keep the way back (返回继续登录), and
 * forgotten once that sign-in has ended.
 */
export class SignInReturn {
  constructor(
    /** Whether the interaction is still waiting (oidc-provider's Interaction.find). */
    private readonly waiting: (uid: string) => Promise<boolean>,
    private readonly ttlSeconds: number,
    private readonly secure: boolean,
  ) {}

  private options(maxAge?: number) {
    return { path: '/portal/me', httpOnly: true, sameSite: 'lax' as const, secure: this.secure, signed: false, overwrite: true, maxAge };
  }

  /** Remembers `?return_to=` when it names a sign-in on this OP. */
  remember(ctx: Context): void {
    const path = interactionPath(ctx.query.return_to);
    if (path) ctx.cookies.set(COOKIE, path, this.options(this.ttlSeconds * 1000));
  }

  /** The sign-in to go back to, while it still waits. */
  async current(ctx: Context): Promise<string | undefined> {
    const path = interactionPath(ctx.query.return_to) ?? interactionPath(ctx.cookies.get(COOKIE, { signed: false }));
    if (!path) return undefined;
    if (await this.waiting(INTERACTION_PATH.exec(path)![1]!)) return path;
    ctx.cookies.set(COOKIE, null, this.options());
    return undefined;
  }
}
