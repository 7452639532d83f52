/** 申诉找回密码与审核 (zh-CN, the source). */
export const appealsZhCN = {
} as const;
