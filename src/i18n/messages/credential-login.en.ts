import type { credentialLoginZhCN } from './credential-login.zh-CN.js';

export const credentialLoginEn: Record<keyof typeof credentialLoginZhCN, string> = {
};
