/**
 * A minimal cookie-keeping HTTP user agent for driving the OP's pages in integration tests without a
 * browser (the browser tests use real Chromium). Follows redirects only within `stopAt`'s rules.
 */
export class UserAgent {
  private readonly cookies = new Map<string, string>();
  /** Every URL this agent requested, in order (to tell which pages a flow went through). */
  readonly history: string[] = [];

  constructor(private readonly headers: Record<string, string> = {}) {}

  /** `form` as pairs repeats a name, as a browser sends several ticked checkboxes. */
  async request(url: string, init: { method?: string; form?: Record<string, string> | Array<[string, string]>; json?: unknown; multipart?: FormData; headers?: Record<string, string> } = {}) {
    this.history.push(url);
    const hasBody = init.form !== undefined || init.json !== undefined || init.multipart !== undefined;
    const response = await fetch(url, {
      method: init.method ?? (hasBody ? 'POST' : 'GET'),
      redirect: 'manual',
      headers: {
        ...this.headers,
        ...init.headers,
        ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}),
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      },
      body: init.multipart ?? (init.form ? new URLSearchParams(init.form).toString() : init.json !== undefined ? JSON.stringify(init.json) : undefined),
    });
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const index = pair!.indexOf('=');
      const name = pair!.slice(0, index);
      const value = pair!.slice(index + 1);
      if (/expires=Thu, 01 Jan 1970/i.test(header) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const body = await response.text();
    const location = response.headers.get('location');
    return { status: response.status, body, location: location ? new URL(location, url).href : null, headers: response.headers };
  }

  /** The value of a cookie this agent holds (e.g. the CSRF cookie a page set). */
  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  /** GETs `url` and follows redirects until a page (non-3xx) or a URL starting with `until`. */
  async follow(url: string, until?: string) {
    let current = url;
    for (let hops = 0; hops < 10; hops += 1) {
      if (until && current.startsWith(until)) return { url: current, status: 0, body: '' };
      const response = await this.request(current);
      if (response.status < 300 || response.status >= 400 || !response.location) return { url: current, ...response };
      current = response.location;
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /** Posts a form and then follows its redirects like a browser (303 → GET). */
  async submit(url: string, form: Record<string, string>, until?: string) {
    const response = await this.request(url, { form });
    if (response.status >= 300 && response.status < 400 && response.location) return this.follow(response.location, until);
    return { url, ...response };
  }
}

/** Reads a hidden input's value from a page (the CSRF token, the captcha id). */
export function hiddenInput(html: string, name: string): string | undefined {
  return new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];
}

/** The action of the first form whose action matches `pattern`, resolved against the page's URL. */
export function formAction(html: string, pattern: RegExp, pageUrl: string): string | undefined {
  for (const match of html.matchAll(/<form\b[^>]*\baction="([^"]*)"/g)) {
    const action = match[1]!.replace(/&amp;/g, '&');
    if (pattern.test(action)) return new URL(action, pageUrl).href;
  }
  return undefined;
}

/** The text of the page's alert (the form-level error message), if any. */
export function alertText(html: string): string | undefined {
  return /role="alert"[^>]*>([^<]*)</.exec(html)?.[1]?.trim();
}

/** The login window (natural or legal) whose tab is marked aria-selected="true". */
export function selectedTab(html: string): string | undefined {
  for (const match of html.matchAll(/<a\b[^>]*role="tab"[^>]*>/g)) {
    const tag = match[0];
    if (/aria-selected="true"/.test(tag)) return /data-window="([^"]*)"/.exec(tag)?.[1];
  }
  return undefined;
}

/** The field message the page shows under `field`: its kind (error/ok) and text. */
export function fieldNote(html: string, field: string): { kind: string; text: string } | undefined {
  const match = new RegExp(`<p class="field__(error|ok)" id="${field}-note"[^>]*>([^<]*)</p>`).exec(html);
  return match ? { kind: match[1]!, text: match[2]! } : undefined;
}

/** The fields that carry an error message on the page. */
export function errorFields(html: string): string[] {
  return [...html.matchAll(/<p class="field__error" id="(\w+)-note"/g)].map((m) => m[1]!).sort();
}

/** The value attribute of the input with this id ('' when it has none). */
export function inputValue(html: string, id: string): string | undefined {
  const tag = new RegExp(`<input\\b[^>]*\\bid="${id}"[^>]*>`).exec(html)?.[0];
  if (!tag) return undefined;
  return /\bvalue="([^"]*)"/.exec(tag)?.[1] ?? '';
}

/** The value of the selected option of the select with this id. */
export function selectedOption(html: string, id: string): string | undefined {
  const select = new RegExp(`<select\\b[^>]*\\bid="${id}"[\\s\\S]*?</select>`).exec(html)?.[0] ?? '';
  return /<option value="([^"]*)" selected>/.exec(select)?.[1];
}

/** The step of a flow's step list marked current, with its label ("2 用户实名认证"). */
export function currentStep(html: string): string | undefined {
  const match = /aria-current="step">\s*<span class="steps__number">(\d)<\/span>\s*([^<]+?)\s*<\/li>/.exec(html);
  return match ? `${match[1]} ${match[2]}` : undefined;
}

/** Every link's href on the page, unescaped. */
export const hrefs = (html: string) => [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
