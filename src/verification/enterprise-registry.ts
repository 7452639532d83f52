/**
 * The enterprise-registry port (SPEC §4): does this unit name, with this legal representative,
 * belong to this unified social credit code? As with the identity authority, adapters answer
 * 'match' or 'mismatch' only when the registry gave that verdict; anything else is
 * EnterpriseRegistryUnavailable, so an outage is never mistaken for a verdict about the unit.
 */
import type { UnavailableReason } from './identity-authority.js';

export interface EntityQuery {
  /** Normalised (validateUscc's form). */
  uscc: string;
  orgName: string;
  legalRepresentativeName: string;
}

export type EntityVerdict = 'match' | 'mismatch';

export interface EnterpriseRegistry {
  checkEntity(query: EntityQuery): Promise<EntityVerdict>;
}

export class EnterpriseRegistryUnavailable extends Error {
  constructor(
    readonly reason: UnavailableReason,
    detail: string,
  ) {
    super(`enterprise registry unavailable (${reason}): ${detail}`);
    this.name = 'EnterpriseRegistryUnavailable';
  }
}
