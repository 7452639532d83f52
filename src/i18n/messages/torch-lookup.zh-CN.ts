/** 火炬中心账号检索 (zh-CN, the source). */
export const torchLookupZhCN = {
} as const;
