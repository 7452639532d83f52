import type { authorizationsZhCN } from './authorizations.zh-CN.js';

export const authorizationsEn: Record<keyof typeof authorizationsZhCN, string> = {
};
