import type { accessZhCN } from './access.zh-CN.js';

export const accessEn: Record<keyof typeof accessZhCN, string> = {
};
