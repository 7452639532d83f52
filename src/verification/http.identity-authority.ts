/**
 * The identity authority over HTTP. The contract (README, "Real-name verification"):
 *
 *   POST <IDENTITY_AUTHORITY_URL>
 *   Authorization: Bearer <IDENTITY_AUTHORITY_TOKEN>
 *   Content-Type: application/json
 *   {"name": "张三", "document_type": "resident_id", "document_number": "11010519491231002X"}
 *
 *   200, Content-Type: application/json, {"result": "match" | "mismatch"}
 *
 * Only that answer is a verdict. Any other status, content type or body, a redirect, a network
 * error or no answer within the timeout is IdentityAuthorityUnavailable.
 */
import { IdentityAuthorityUnavailable, type IdentityAuthority, type IdentityQuery, type IdentityVerdict } from './identity-authority.js';
import { postForVerdict, type HttpVerdictOptions } from './http-verdict.js';

export type HttpIdentityAuthorityOptions = HttpVerdictOptions;

export class HttpIdentityAuthority implements IdentityAuthority {
  constructor(private readonly options: HttpIdentityAuthorityOptions) {}

  checkPerson(query: IdentityQuery): Promise<IdentityVerdict> {
    return postForVerdict(
      this.options,
      { name: query.name, document_type: query.documentType, document_number: query.documentNumber },
      (reason, detail) => new IdentityAuthorityUnavailable(reason, detail),
    );
  }
}
