import type { torchConsoleZhCN } from './torch-console.zh-CN.js';

export const torchConsoleEn: Record<keyof typeof torchConsoleZhCN, string> = {
};
