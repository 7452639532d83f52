/** 服务事项 (zh-CN, the source). */
export const serviceItemsZhCN = {
} as const;
