import { orgNameKey } from '../accounts/org-name.js';
import type { EnterpriseRegistry, EntityQuery, EntityVerdict } from './enterprise-registry.js';
import type { ReferenceEntityRepository } from './reference-entity.repository.js';

/**
 * The enterprise registry answered from the local reference register (the default for the embedded
 * setup and for tests): a match needs the USCC listed with this unit name (compared by orgNameKey)
 * and exactly this legal representative's name.
 */
export class ReferenceRegisterEnterpriseRegistry implements EnterpriseRegistry {
  constructor(private readonly register: ReferenceEntityRepository) {}

  async checkEntity(query: EntityQuery): Promise<EntityVerdict> {
    const entity = await this.register.find(query.uscc);
    if (!entity) return 'mismatch';
    const sameName = orgNameKey(entity.orgName) === orgNameKey(query.orgName);
    return sameName && entity.legalRepresentativeName === query.legalRepresentativeName.trim() ? 'match' : 'mismatch';
  }
}
