import { en } from '../../src/i18n/en.js';
import { catalogKeys, translator } from '../../src/i18n/index.js';
import { zhCN } from '../../src/i18n/zh-CN.js';

const catalogs: Record<string, Record<string, string>> = { 'zh-CN': zhCN, en };
const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('the message catalogs', () => {
  test('when zh-CN (the source) and en are compared, then they have exactly the same keys', () => {
    const zhKeys = Object.keys(zhCN).sort();
    const enKeys = Object.keys(en).sort();
    expect(enKeys.filter((key) => !(key in zhCN))).toEqual([]);
    expect(zhKeys.filter((key) => !(key in en))).toEqual([]);
    expect(catalogKeys('en').sort()).toEqual(catalogKeys('zh-CN').sort());
  });

  test('when a message has {placeholders}, then both languages use the same ones', () => {
    const mismatched = Object.keys(zhCN)
      .filter((key) => JSON.stringify(placeholders(zhCN[key as keyof typeof zhCN])) !== JSON.stringify(placeholders(en[key as keyof typeof en] ?? '')))
      .map((key) => `${key}: zh-CN ${placeholders(zhCN[key as keyof typeof zhCN]).join(',')} / en ${placeholders(en[key as keyof typeof en] ?? '').join(',')}`);
    expect(mismatched).toEqual([]);
  });

  test.each(Object.keys(catalogs))('when the %s catalog is read, then no message is empty or only whitespace', (locale) => {
    const empty = Object.entries(catalogs[locale]!).filter(([, text]) => typeof text !== 'string' || text.trim() === '').map(([key]) => key);
    expect(empty).toEqual([]);
  });

  test('when a message is translated with its parameters, then every placeholder is filled', () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      const t = translator(locale);
      for (const key of Object.keys(zhCN) as (keyof typeof zhCN)[]) {
        const params = Object.fromEntries(placeholders(zhCN[key]).map((name) => [name!, 'X']));
        expect(t(key, params)).not.toMatch(/\{\w+\}/);
      }
    }
  });

  test('when the footer is rendered, then the support phone placeholder is present in both languages (the page links it)', () => {
    expect(zhCN['platform.support']).toContain('{phone}');
    expect(en['platform.support']).toContain('{phone}');
  });
});
