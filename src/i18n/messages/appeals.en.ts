import type { appealsZhCN } from './appeals.zh-CN.js';

export const appealsEn: Record<keyof typeof appealsZhCN, string> = {
};
