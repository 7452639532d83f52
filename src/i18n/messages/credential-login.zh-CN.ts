/** 一次性登录密码与强制修改密码 (zh-CN, the source). */
export const credentialLoginZhCN = {
} as const;
