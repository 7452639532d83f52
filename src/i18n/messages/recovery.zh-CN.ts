/** 找回密码：登录名重置密码 (zh-CN, the source). */
export const recoveryZhCN = {
} as const;
