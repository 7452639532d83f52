import type { serviceItemsZhCN } from './service-items.zh-CN.js';

export const serviceItemsEn: Record<keyof typeof serviceItemsZhCN, string> = {
};
