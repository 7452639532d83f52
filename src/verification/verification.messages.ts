import type { RealNameStatus } from '../accounts/account.types.js';
import type { MessageKey } from '../i18n/index.js';
import type { VerificationOutcome } from './verification.service.js';

/** What the page tells the user after an attempt; the records make a missing message a type error. */
export const VERIFICATION_OUTCOME_MESSAGES: Record<VerificationOutcome, MessageKey> = {
  verified: 'verification.outcome.verified',
  mismatch: 'verification.outcome.mismatch',
  unavailable: 'verification.outcome.unavailable',
  document_taken: 'verification.outcome.document_taken',
  incomplete: 'verification.outcome.incomplete',
};

/** The status shown at the top right of 我的信息 (SPEC §4). */
export const REAL_NAME_STATUS_LABELS: Record<RealNameStatus, MessageKey> = {
  unverified: 'verification.status.unverified',
  verified: 'verification.status.verified',
  pending_review: 'verification.status.pending_review',
  reviewed: 'verification.status.reviewed',
  rejected: 'verification.status.rejected',
};
