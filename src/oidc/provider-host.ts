import type { Middleware } from 'koa';
import mount from 'koa-mount';
import type Provider from 'oidc-provider';
import type { JWK } from 'oidc-provider';
import type { SigningKeys, SigningKeySet } from './signing-keys.js';

/**
 * The running oidc-provider, rebuilt when the signing key set changes. oidc-provider takes its
 * keys at construction; all its state lives in the database, so a new instance simply takes over.
 * This is how a rotation (keys rotate) reaches instances that are already running.
 */
export class ProviderHost {
  private current: Provider;
  private mounted: Middleware;
  private fingerprint: string;

  constructor(
    private readonly build: (jwks: { keys: JWK[] }) => Provider,
    private readonly signingKeys: SigningKeys,
    initial: SigningKeySet,
  ) {
    this.current = build({ keys: initial.keys });
    this.mounted = mount(this.current);
    this.fingerprint = initial.fingerprint;
  }

  get provider(): Provider {
    return this.current;
  }

  /** Koa middleware that always dispatches to the current provider. */
  middleware(): Middleware {
    return (ctx, next) => this.mounted(ctx, next);
  }

  /** Reloads the keys; returns true when the provider was rebuilt with a changed set. */
  async reload(): Promise<boolean> {
    const set = await this.signingKeys.load();
    if (set.fingerprint === this.fingerprint) return false;
    const next = this.build({ keys: set.keys });
    this.current = next;
    this.mounted = mount(next);
    this.fingerprint = set.fingerprint;
    return true;
  }
}
