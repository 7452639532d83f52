import type { legalVerificationZhCN } from './legal-verification.zh-CN.js';

export const legalVerificationEn: Record<keyof typeof legalVerificationZhCN, string> = {
};
