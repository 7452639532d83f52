import fs from 'node:fs';
import type { ClientMetadata } from 'oidc-provider';
import { z } from 'zod';
import type { Locale } from '../i18n/index.js';

export type AccountKind = 'natural' | 'legal';

const localizedText = z.object({ 'zh-CN': z.string().min(1), en: z.string().min(1) }).strict();

const httpUrl = z.url({ protocol: /^https?$/ });

const clientEntrySchema = z
  .object({
    client_id: z.string().regex(/^[A-Za-z0-9._-]{3,64}$/, 'must be 3–64 letters, digits, dots, dashes or underscores'),
    client_secret: z.string().min(32, 'must be at least 32 characters').optional(),
    client_secret_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name').optional(),
    redirect_uris: z.array(httpUrl).min(1),
    post_logout_redirect_uris: z.array(httpUrl).default([]),
    backchannel_logout_uri: httpUrl.optional(),
    backchannel_logout_session_required: z.boolean().optional(),
    grant_types: z.array(z.enum(['authorization_code', 'refresh_token'])).default(['authorization_code', 'refresh_token']),
    response_types: z.array(z.literal('code', { error: 'only "code" is supported' })).default(['code']),
    token_endpoint_auth_method: z
      .enum(['client_secret_basic', 'client_secret_post', 'none'])
      .default('client_secret_basic'),
    id_token_signed_response_alg: z.literal('RS256').optional(),
    name: localizedText,
    description: localizedText.optional(),
    first_party: z.boolean().default(false),
    entry_url: httpUrl.optional(),
    policy: z
      .object({
        account_kinds: z.array(z.enum(['natural', 'legal'])).min(1),
        real_name_required: z.boolean().default(false),
        entity_authorization_required: z.boolean().default(false),
      })
      .strict(),
  })
  .strict();

type ClientEntry = z.infer<typeof clientEntrySchema>;

export interface ClientPolicy {
  accountKinds: AccountKind[];
  realNameRequired: boolean;
  entityAuthorizationRequired: boolean;
}

/** What the platform knows of a relying party beyond oidc-provider's metadata. */
export interface RelyingParty {
  clientId: string;
  name: Record<Locale, string>;
  description?: Record<Locale, string>;
  firstParty: boolean;
  entryUrl?: string;
  policy: ClientPolicy;
}

export interface ClientRegistry {
  /** Metadata handed to oidc-provider, secrets resolved. */
  metadata: ClientMetadata[];
  relyingParties: Map<string, RelyingParty>;
}

export class ClientsFileError extends Error {}

function describe(entry: unknown, index: number): string {
  const id = (entry as { client_id?: unknown })?.client_id;
  return typeof id === 'string' ? `entry ${index} (client_id "${id}")` : `entry ${index}`;
}

function resolveSecret(entry: ClientEntry, env: NodeJS.ProcessEnv, production: boolean): string | undefined {
  if (entry.token_endpoint_auth_method === 'none') {
    if (entry.client_secret || entry.client_secret_env) throw new Error('a public client ("none") must not have a secret');
    return undefined;
  }
  if (entry.client_secret && entry.client_secret_env) throw new Error('give client_secret or client_secret_env, not both');
  if (entry.client_secret) {
    // Secrets written into the file are for demos and development only.
    if (production) throw new Error('client_secret: secrets in the file are refused in production; use client_secret_env');
    return entry.client_secret;
  }
  if (!entry.client_secret_env) throw new Error('client_secret_env: required (or client_secret outside production)');
  const secret = env[entry.client_secret_env];
  if (!secret) throw new Error(`client_secret_env: environment variable ${entry.client_secret_env} is not set`);
  if (secret.length < 32) throw new Error(`client_secret_env: ${entry.client_secret_env} must be at least 32 characters`);
  if (production && /^demo/i.test(secret)) throw new Error(`client_secret_env: ${entry.client_secret_env} holds a demo secret`);
  return secret;
}

function checkPolicy(entry: ClientEntry): void {
  const { policy } = entry;
  if (policy.entity_authorization_required && !policy.account_kinds.includes('natural')) {
    throw new Error('policy.entity_authorization_required: only applies when account_kinds includes "natural"');
  }
  if (entry.grant_types.includes('refresh_token') && !entry.grant_types.includes('authorization_code')) {
    throw new Error('grant_types: refresh_token needs authorization_code');
  }
}

function checkProductionUris(entry: ClientEntry): void {
  const uris = [...entry.redirect_uris, ...entry.post_logout_redirect_uris, entry.backchannel_logout_uri ?? ''];
  const plain = uris.find((uri) => uri.startsWith('http://'));
  if (plain) throw new Error(`redirect and logout URIs must use https in production (got ${plain})`);
}

/** Validates the clients file's content; every error names the entry and field. */
export function parseClients(raw: unknown, env: NodeJS.ProcessEnv, production: boolean): ClientRegistry {
  if (!Array.isArray(raw)) throw new ClientsFileError('the file must hold a JSON array of client entries');
  const metadata: ClientMetadata[] = [];
  const relyingParties = new Map<string, RelyingParty>();

  raw.forEach((candidate, index) => {
    const parsed = clientEntrySchema.safeParse(candidate);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
      throw new ClientsFileError(`${describe(candidate, index)}: ${field || 'entry'}: ${issue.message}`);
    }
    const entry = parsed.data;
    let secret: string | undefined;
    try {
      if (relyingParties.has(entry.client_id)) throw new Error('client_id: duplicate');
      checkPolicy(entry);
      if (production) checkProductionUris(entry);
      secret = resolveSecret(entry, env, production);
    } catch (error) {
      throw new ClientsFileError(`${describe(candidate, index)}: ${(error as Error).message}`);
    }

    metadata.push({
      client_id: entry.client_id,
      ...(secret ? { client_secret: secret } : {}),
      client_name: entry.name['zh-CN'],
      redirect_uris: entry.redirect_uris,
      post_logout_redirect_uris: entry.post_logout_redirect_uris,
      ...(entry.backchannel_logout_uri
        ? {
            backchannel_logout_uri: entry.backchannel_logout_uri,
            backchannel_logout_session_required: entry.backchannel_logout_session_required ?? true,
          }
        : {}),
      grant_types: entry.grant_types,
      response_types: entry.response_types,
      token_endpoint_auth_method: entry.token_endpoint_auth_method,
      ...(entry.id_token_signed_response_alg ? { id_token_signed_response_alg: entry.id_token_signed_response_alg } : {}),
    });
    relyingParties.set(entry.client_id, {
      clientId: entry.client_id,
      name: entry.name,
      description: entry.description,
      firstParty: entry.first_party,
      entryUrl: entry.entry_url,
      policy: {
        accountKinds: entry.policy.account_kinds,
        realNameRequired: entry.policy.real_name_required,
        entityAuthorizationRequired: entry.policy.entity_authorization_required,
      },
    });
  });
  return { metadata, relyingParties };
}

export function loadClientsFile(file: string, env: NodeJS.ProcessEnv, production: boolean): ClientRegistry {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ClientsFileError(`${file}: ${(error as Error).message}`);
  }
  try {
    return parseClients(raw, env, production);
  } catch (error) {
    if (error instanceof ClientsFileError) throw new ClientsFileError(`${file}: ${error.message}`);
    throw error;
  }
}
