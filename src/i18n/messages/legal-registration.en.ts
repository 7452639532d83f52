import type { legalRegistrationZhCN } from './legal-registration.zh-CN.js';

export const legalRegistrationEn: Record<keyof typeof legalRegistrationZhCN, string> = {
};
