/** 业务系统访问策略：实名认证、选择代办单位 (zh-CN, the source). */
export const accessZhCN = {
} as const;
