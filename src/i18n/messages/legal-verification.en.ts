import type { legalVerificationZhCN } from './legal-verification.zh-CN.js';

export const legalVerificationEn: Record<keyof typeof legalVerificationZhCN, string> = {
  // Manual review of units
  'legal_review.error.not_legal': 'Only legal-entity accounts can upload unit documents for manual verification',
  'legal_review.error.profile_incomplete': 'First enter the unified social credit code (or the unit’s registration number) and the legal representative under “Edit unit information” and save, then apply for manual verification',
  'legal_review.error.uscc_already_verified': 'This unified social credit code already verifies another legal-entity account: the case cannot be approved',
};
