/** 法人实名认证：企业登记核验、修改法人信息、人工审核材料 (zh-CN, the source). */
export const legalVerificationZhCN = {
  // Manual review of units
  'legal_review.error.not_legal': '只有法人账号可以上传法人信息申请人工认证',
  'legal_review.error.profile_incomplete': '请先在“修改法人信息”中填写统一社会信用代码（或单位注册号码）和法定代表人信息并保存，再申请人工认证',
  'legal_review.error.uscc_already_verified': '该统一社会信用代码已用于其他法人账号的实名认证，不能审核通过',
} as const;
