/**
 * The enterprise registry over HTTP. The contract (README, "Real-name verification"):
 *
 *   POST <ENTERPRISE_REGISTRY_URL>
 *   Authorization: Bearer <ENTERPRISE_REGISTRY_TOKEN>
 *   Content-Type: application/json
 *   {"uscc": "91110108MA01DEM011", "org_name": "北京示范科技有限公司", "legal_representative": "王秀英"}
 *
 *   200, Content-Type: application/json, {"result": "match" | "mismatch"}
 *
 * Only that answer is a verdict. Any other status, content type or body, a redirect, a network
 * error or no answer within the timeout is EnterpriseRegistryUnavailable.
 */
import { EnterpriseRegistryUnavailable, type EnterpriseRegistry, type EntityQuery, type EntityVerdict } from './enterprise-registry.js';
import { postForVerdict, type HttpVerdictOptions } from './http-verdict.js';

export type HttpEnterpriseRegistryOptions = HttpVerdictOptions;

export class HttpEnterpriseRegistry implements EnterpriseRegistry {
  constructor(private readonly options: HttpEnterpriseRegistryOptions) {}

  checkEntity(query: EntityQuery): Promise<EntityVerdict> {
    return postForVerdict(
      this.options,
      { uscc: query.uscc, org_name: query.orgName, legal_representative: query.legalRepresentativeName },
      (reason, detail) => new EnterpriseRegistryUnavailable(reason, detail),
    );
  }
}
