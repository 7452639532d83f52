import type { RegistrationRegion } from '../accounts/account.types.js';
import type { MessageKey } from '../i18n/index.js';
import type { VerificationOutcome } from './verification.service.js';

const LEGAL_OUTCOME_MESSAGES: Record<VerificationOutcome, MessageKey> = {
  verified: 'legal_verification.outcome.verified',
  mismatch: 'legal_verification.outcome.mismatch',
  unavailable: 'legal_verification.outcome.unavailable',
  document_taken: 'legal_verification.outcome.document_taken',
  incomplete: 'legal_verification.outcome.incomplete',
};

/**
 * What the page tells a unit after an automatic attempt. 'incomplete' has two causes: a domestic
 * unit lacking its USCC or representative, and a unit registered elsewhere, which the registry
 * cannot check at all (the manual-review path).
 */
export function legalOutcomeMessage(outcome: VerificationOutcome, region: RegistrationRegion): MessageKey {
  return outcome === 'incomplete' && region !== 'domestic' ? 'legal_verification.outcome.incomplete_abroad' : LEGAL_OUTCOME_MESSAGES[outcome];
}
