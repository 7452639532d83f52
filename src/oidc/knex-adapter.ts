import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Db } from '../db/database.js';

/**
 * oidc-provider's storage contract over one table, so every instance behind a load balancer sees
 * the same sessions, grants, codes, tokens and interactions. `kind` is the model name.
 */
export function knexAdapterFactory(db: Db) {
  return class KnexAdapter implements Adapter {
    constructor(private readonly kind: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      await db('oidc_models')
        .insert({
          kind: this.kind,
          id,
          payload: JSON.stringify(payload),
          grant_id: payload.grantId ?? null,
          user_code: payload.userCode ?? null,
          uid: payload.uid ?? null,
          expires_at: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
        })
        .onConflict(['kind', 'id'])
        .merge();
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      return this.findWhere({ id });
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return this.findWhere({ uid });
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return this.findWhere({ user_code: userCode });
    }

    async consume(id: string): Promise<void> {
      await db('oidc_models').where({ kind: this.kind, id }).update({ consumed_at: db.fn.now() });
    }

    async destroy(id: string): Promise<void> {
      await db('oidc_models').where({ kind: this.kind, id }).delete();
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await db('oidc_models').where({ grant_id: grantId }).delete();
    }

    private async findWhere(where: Record<string, string>): Promise<AdapterPayload | undefined> {
      const row = await db('oidc_models')
        .where({ kind: this.kind, ...where })
        .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', db.fn.now()))
        .first('payload', 'consumed_at');
      if (!row) return undefined;
      return {
        ...(row.payload as AdapterPayload),
        ...(row.consumed_at ? { consumed: Math.floor(new Date(row.consumed_at).getTime() / 1000) } : {}),
      };
    }
  };
}

/**
 * Ends every OP session, grant, code and token of one account (after a password change or reset).
 * RPs learn of it when their refresh fails or at the next sign-in.
 */
export async function revokeAccountGrants(db: Db, accountId: string): Promise<number> {
  return db('oidc_models').whereRaw(`payload->>'accountId' = ?`, [accountId]).delete();
}

/** Expired rows are invisible to find(); this removes them. Called on an interval by main. */
export async function purgeExpiredOidcModels(db: Db): Promise<number> {
  return db('oidc_models').where('expires_at', '<', db.fn.now()).delete();
}
