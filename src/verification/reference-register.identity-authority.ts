import type { IdentityAuthority, IdentityQuery, IdentityVerdict } from './identity-authority.js';
import type { ReferenceRegisterRepository } from './reference-register.repository.js';

// The separator in transliterated names (阿依古丽·买买提) is typed with whichever dot the input
// method offers; they all mean the same name.
const NAME_DOTS = /[.\u00B7\u2022\u2027\u2219\u22C5\u30FB\uFF0E\uFF65]/g;

/** The form two spellings of one name share: width, case, spaces and separator dots ignored. */
export function comparableName(name: string): string {
  return name.normalize('NFKC').replace(NAME_DOTS, '·').replace(/\s+/g, ' ').trim().toUpperCase();
}

/**
 * The identity authority answered from the local reference register (the default for the
 * embedded setup and tests). A document the register lacks is a mismatch, as a real authority
 * answers for a number it has no record of.
 */
export class ReferenceRegisterIdentityAuthority implements IdentityAuthority {
  constructor(private readonly register: ReferenceRegisterRepository) {}

  async checkPerson(query: IdentityQuery): Promise<IdentityVerdict> {
    const name = await this.register.findName(query.documentType, query.documentNumber);
    return name !== undefined && comparableName(name) === comparableName(query.name) ? 'match' : 'mismatch';
  }
}
