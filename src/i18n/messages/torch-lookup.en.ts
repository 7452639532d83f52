import type { torchLookupZhCN } from './torch-lookup.zh-CN.js';

export const torchLookupEn: Record<keyof typeof torchLookupZhCN, string> = {
};
