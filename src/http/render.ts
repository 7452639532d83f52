import path from 'node:path';
import { Eta } from 'eta';
import type { Context } from 'koa';
import { projectRoot } from '../paths.js';
import { translator, type Locale } from '../i18n/index.js';

export interface PageChrome {
  supportPhone: string;
}

const eta = new Eta({
  views: path.join(projectRoot, 'views'),
  autoEscape: true,
  cache: process.env.NODE_ENV !== 'development',
});

/**
 * The URL of the current page in the other language. A link is a GET: after a POST (a form shown
 * again with its errors) it points at the form's own page, the parent of the action path
 * (`/interaction/:uid/login` → `/interaction/:uid`), never at the action, which has no GET.
 */
export function switchLanguageUrl(ctx: Context, locale: Locale): string {
  const url = new URL(ctx.originalUrl, 'http://placeholder');
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
    url.pathname = url.pathname.replace(/\/[^/]+\/?$/, '') || '/';
    url.search = '';
  }
  url.searchParams.set('lang', locale === 'zh-CN' ? 'en' : 'zh-CN');
  return `${url.pathname}${url.search}`;
}

/** Server-renders a page inside the one layout, with translations and the page chrome. */
export function renderPage(
  ctx: Context,
  chrome: PageChrome,
  template: string,
  data: Record<string, unknown> = {},
  status = 200,
): void {
  const locale: Locale = ctx.state.locale ?? 'zh-CN';
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = eta.render(template, {
    ...data,
    t: translator(locale),
    locale,
    languageUrl: switchLanguageUrl(ctx, locale),
    supportPhone: chrome.supportPhone,
    requestId: ctx.state.requestId,
  });
}

/** For oidc-provider's hooks, which give a ctx but render outside our router. */
export function renderTemplate(template: string, data: Record<string, unknown>): string {
  return eta.render(template, data);
}
