import type { recoveryZhCN } from './recovery.zh-CN.js';

export const recoveryEn: Record<keyof typeof recoveryZhCN, string> = {
};
