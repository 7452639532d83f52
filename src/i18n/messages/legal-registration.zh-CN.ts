/** 单位用户（法人）注册 (zh-CN, the source). */
export const legalRegistrationZhCN = {
} as const;
