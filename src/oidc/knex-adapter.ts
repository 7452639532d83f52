import Provider, { type Adapter, type AdapterPayload } from 'oidc-provider';
import type { Knex } from 'knex';
import type { Db } from '../db/database.js';

/*
 * The hot statements are written out as SQL and run as named (server-side prepared) statements on
 * PostgreSQL: parsed and planned once per pooled connection instead of on every call. They run
 * several times per token request; skipping the parse and plan takes about a quarter off
 * PostgreSQL's CPU per refresh (see bench/). Written as raw SQL rather than through knex's query
 * builder, they also skip the builder's compilation on every call (scratch measurement: about 10 µs
 * of server CPU per statement). Each name stands for exactly one SQL text, and each names its
 * columns, so a migration that adds columns does not change a prepared statement's result type. The
 * embedded PGlite ignores the name. A pooler in front of PostgreSQL in transaction mode must support
 * protocol-level prepared statements (PgBouncer ≥ 1.21 with max_prepared_statements).
 */
const NOT_EXPIRED = '(expires_at is null or expires_at > current_timestamp)';
const SQL = {
  upsert: `insert into oidc_models (kind, id, payload, grant_id, user_code, uid, expires_at) values (?, ?, ?, ?, ?, ?, ?)
    on conflict (kind, id) do update set payload = excluded.payload, grant_id = excluded.grant_id,
      user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at`,
  findById: `select payload, consumed_at from oidc_models where kind = ? and id = ? and ${NOT_EXPIRED} limit 1`,
  findByUid: `select payload, consumed_at from oidc_models where kind = ? and uid = ? and ${NOT_EXPIRED} limit 1`,
  findByUserCode: `select payload, consumed_at from oidc_models where kind = ? and user_code = ? and ${NOT_EXPIRED} limit 1`,
  /** A token with the grant it names (see GRANT_FOLLOWS). */
  findWithGrant: `select t.payload, t.consumed_at, g.payload as grant_payload, g.consumed_at as grant_consumed_at
    from oidc_models t
    left join oidc_models g on g.kind = 'Grant' and g.id = t.grant_id
      and (g.expires_at is null or g.expires_at > current_timestamp)
    where t.kind = ? and t.id = ? and (t.expires_at is null or t.expires_at > current_timestamp) limit 1`,
  consume: 'update oidc_models set consumed_at = current_timestamp where kind = ? and id = ?',
  destroy: 'delete from oidc_models where kind = ? and id = ?',
} as const;

/**
 * Token kinds that oidc-provider's token endpoint looks up and then, in the same request, looks up
 * the grant of (refresh_token and authorization_code grants: find the token, then validateGrant).
 * Their find reads the grant row in the same statement, one database round trip fewer per token
 * request; the Grant adapter then answers that request's find of that grant from it.
 */
const GRANT_FOLLOWS = new Set(['RefreshToken', 'AuthorizationCode']);

/** The models that belong to a grant and end with it (oidc-provider's memory adapter: "grantable"). */
const GRANT_MEMBERS = ['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode'];

interface Row {
  payload: AdapterPayload;
  consumed_at: Date | string | null;
}

function toPayload(payload: AdapterPayload | null | undefined, consumedAt: Date | string | null | undefined): AdapterPayload | undefined {
  if (!payload) return undefined;
  return { ...payload, ...(consumedAt ? { consumed: Math.floor(new Date(consumedAt).getTime() / 1000) } : {}) };
}

/**
 * oidc-provider's storage contract over one table, so every instance behind a load balancer sees
 * the same sessions, grants, codes, tokens and interactions. `kind` is the model name.
 */
export function knexAdapterFactory(db: Db) {
  const run = async (name: keyof typeof SQL, bindings: Knex.RawBinding[]) =>
    ((await db.raw(SQL[name], bindings).options({ name: `oidc_models_${name}` })) as { rows: Record<string, unknown>[] }).rows;

  /**
   * Grants read along with a token (GRANT_FOLLOWS), kept on the request (oidc-provider's current
   * Koa context, Provider.ctx) and handed out once: nothing outlives the request, a grant is never
   * answered from another request's read, and any write to that grant in the request drops it. The
   * token and its grant come from one snapshot, as consistent as two reads in a row.
   */
  const prefetched = new WeakMap<object, Map<string, AdapterPayload | undefined>>();
  const takePrefetched = (grantId: string): { found: boolean; payload?: AdapterPayload } => {
    const ctx = Provider.ctx;
    const grants = ctx && prefetched.get(ctx);
    if (!grants?.has(grantId)) return { found: false };
    const payload = grants.get(grantId);
    grants.delete(grantId);
    return { found: true, payload };
  };
  const dropPrefetched = (grantId: string | undefined) => {
    const ctx = Provider.ctx;
    if (ctx && grantId) prefetched.get(ctx)?.delete(grantId);
  };

  return class KnexAdapter implements Adapter {
    constructor(private readonly kind: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      if (this.kind === 'Grant') dropPrefetched(id);
      await run('upsert', [
        this.kind,
        id,
        JSON.stringify(payload),
        payload.grantId ?? null,
        payload.userCode ?? null,
        payload.uid ?? null,
        expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
      ]);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.kind === 'Grant') {
        const cached = takePrefetched(id);
        if (cached.found) return cached.payload;
      }
      const ctx = Provider.ctx;
      if (ctx && GRANT_FOLLOWS.has(this.kind)) {
        const [row] = await run('findWithGrant', [this.kind, id]);
        if (!row) return undefined;
        const token = toPayload(row.payload as AdapterPayload, row.consumed_at as Row['consumed_at']);
        const grantId = token?.grantId;
        if (grantId) {
          const grants = prefetched.get(ctx) ?? new Map<string, AdapterPayload | undefined>();
          grants.set(grantId, toPayload(row.grant_payload as AdapterPayload | null, row.grant_consumed_at as Row['consumed_at']));
          prefetched.set(ctx, grants);
        }
        return token;
      }
      const [row] = await run('findById', [this.kind, id]);
      return row ? toPayload(row.payload as AdapterPayload, row.consumed_at as Row['consumed_at']) : undefined;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const [row] = await run('findByUid', [this.kind, uid]);
      return row ? toPayload(row.payload as AdapterPayload, row.consumed_at as Row['consumed_at']) : undefined;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const [row] = await run('findByUserCode', [this.kind, userCode]);
      return row ? toPayload(row.payload as AdapterPayload, row.consumed_at as Row['consumed_at']) : undefined;
    }

    async consume(id: string): Promise<void> {
      await run('consume', [this.kind, id]);
    }

    async destroy(id: string): Promise<void> {
      if (this.kind === 'Grant') dropPrefetched(id);
      await run('destroy', [this.kind, id]);
    }

    /**
     * The grant's codes and tokens, as oidc-provider's own adapter does. An Interaction names its
     * grant too, and must survive: ending an OP session to switch accounts revokes the old
     * account's grants while the interaction being answered still waits.
     */
    async revokeByGrantId(grantId: string): Promise<void> {
      dropPrefetched(grantId);
      await db('oidc_models').where({ grant_id: grantId }).whereIn('kind', GRANT_MEMBERS).delete();
    }
  };
}

/**
 * Ends every OP session, grant, code and token of one account (after a password change or reset).
 * RPs learn of it when their refresh fails or at the next sign-in.
 *
 * `keepSessionUid`: the OP session of a sign-in that is still going on (the new password set in
 * its interaction) stays, or oidc-provider could not resume that interaction. Its grants end like
 * every other, and are made again as the sign-in completes. Interactions carry no top-level
 * accountId, so they are never touched.
 */
export async function revokeAccountGrants(db: Db, accountId: string, keepSessionUid?: string): Promise<number> {
  const rows = db('oidc_models').whereRaw(`payload->>'accountId' = ?`, [accountId]);
  if (keepSessionUid) rows.whereNot((kept) => kept.where({ kind: 'Session', uid: keepSessionUid }));
  return rows.delete();
}

/** Expired rows are invisible to find(); this removes them. Called on an interval by main. */
export async function purgeExpiredOidcModels(db: Db): Promise<number> {
  return db('oidc_models').where('expires_at', '<', db.fn.now()).delete();
}
