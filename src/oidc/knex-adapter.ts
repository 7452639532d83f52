import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Db } from '../db/database.js';

/**
 * Runs the statement as a named (server-side prepared) statement on PostgreSQL: parsed and
 * planned once per pooled connection instead of on every call. These statements run several
 * times per token request; skipping the parse and plan takes about a quarter off PostgreSQL's CPU
 * per refresh (see bench/). Each name stands for exactly one SQL text, and each names its columns,
 * so a migration that adds columns does not change a prepared statement's result type. The
 * embedded PGlite ignores the option. A pooler in front of PostgreSQL in transaction mode must
 * support protocol-level prepared statements (PgBouncer ≥ 1.21 with max_prepared_statements).
 */
const prepared = (name: string) => ({ name });

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
        .merge()
        .options(prepared('oidc_models_upsert'));
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      return this.findWhere('id', id);
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return this.findWhere('uid', uid);
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return this.findWhere('user_code', userCode);
    }

    async consume(id: string): Promise<void> {
      await db('oidc_models').where({ kind: this.kind, id }).update({ consumed_at: db.fn.now() }).options(prepared('oidc_models_consume'));
    }

    async destroy(id: string): Promise<void> {
      await db('oidc_models').where({ kind: this.kind, id }).delete().options(prepared('oidc_models_destroy'));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await db('oidc_models').where({ grant_id: grantId }).delete();
    }

    private async findWhere(column: 'id' | 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> {
      const row = await db('oidc_models')
        .where({ kind: this.kind, [column]: value })
        .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', db.fn.now()))
        .first('payload', 'consumed_at')
        .options(prepared(`oidc_models_find_by_${column}`));
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
