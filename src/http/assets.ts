import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Context, Next } from 'koa';
import { projectRoot } from '../paths.js';

const types: Record<string, string> = { '.css': 'text/css', '.js': 'text/javascript', '.svg': 'image/svg+xml', '.png': 'image/png' };

/**
 * Serves views/assets/ from memory under /assets/. Every asset is ours: closed government networks
 * reach no CDN. Files are read once at start-up; the ETag lets browsers revalidate cheaply.
 */
export function staticAssets() {
  const dir = path.join(projectRoot, 'views', 'assets');
  const files = new Map<string, { body: Buffer; type: string; etag: string }>();
  for (const name of fs.readdirSync(dir)) {
    const type = types[path.extname(name)];
    if (!type) continue;
    const body = fs.readFileSync(path.join(dir, name));
    files.set(`/assets/${name}`, { body, type, etag: `"${crypto.createHash('sha1').update(body).digest('base64url')}"` });
  }
  return async (ctx: Context, next: Next) => {
    const file = ctx.method === 'GET' || ctx.method === 'HEAD' ? files.get(ctx.path) : undefined;
    if (!file) return next();
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.set('ETag', file.etag);
    if (ctx.get('if-none-match') === file.etag) {
      ctx.status = 304;
      return;
    }
    ctx.type = file.type;
    ctx.body = file.body;
  };
}
