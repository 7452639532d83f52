/** 迁移报告（控制台）与旧密码登录 (zh-CN, the source). */
export const torchConsoleZhCN = {
} as const;
