/** 授权代办人 (zh-CN, the source). */
export const authorizationsZhCN = {
} as const;
