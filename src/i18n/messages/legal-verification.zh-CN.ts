/** 法人实名认证：企业登记核验、修改法人信息、人工审核材料 (zh-CN, the source). */
export const legalVerificationZhCN = {
} as const;
