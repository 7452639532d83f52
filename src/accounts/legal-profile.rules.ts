import type { MessageKey } from '../i18n/index.js';
import type { LegalProfile, OrgType, PersonBlock, RegistrationRegion } from './account.types.js';
import { validateUscc } from './identity-documents.js';
import { checkPersonBlock, prefixFields, type PersonBlockInput } from './person-block.rules.js';

/** 修改法人信息 as submitted (strings; empty means "not given"). */
export interface LegalProfileInput {
  orgName?: string;
  registrationRegion?: string;
  orgType?: string;
  uscc?: string;
  registrationNumber?: string;
  email?: string;
  legalRepresentative: PersonBlockInput;
  mainAgent: PersonBlockInput;
}

/** The same, checked and normalised. */
export interface LegalProfileChanges {
  orgName: string;
  registrationRegion: RegistrationRegion;
  orgType: OrgType;
  /** Domestic units only. */
  uscc: string | null;
  /** HMT and foreign units only. */
  registrationNumber: string | null;
  email: string | null;
  legalRepresentative: PersonBlock;
  mainAgent: PersonBlock;
}

export const REGISTRATION_REGIONS: readonly RegistrationRegion[] = ['domestic', 'hmt', 'foreign'];
export const ORG_TYPES: readonly OrgType[] = ['enterprise', 'social_organization', 'public_institution', 'other'];

/** Form field names: the unit's own, then the two person blocks as `rep…` and `agent…` (prefixFields). */
export const PERSON_BLOCK_PREFIXES = { legalRepresentative: 'rep', mainAgent: 'agent' } as const;

/** What a unit's manual-review case needs on file: its number (USCC at home, registration number elsewhere) and a legal representative. */
export const readyForReview = (unit: Pick<LegalProfile, 'registrationRegion' | 'uscc' | 'registrationNumber'> & { legalRepresentative: unknown }) =>
  Boolean(unit.legalRepresentative && (unit.registrationRegion === 'domestic' ? unit.uscc : unit.registrationNumber));

const optional = (value: string | undefined) => (value?.trim() ? value.trim() : null);

/**
 * Field rules of the unit's profile (SPEC §1): unit name, registration region, legal-person type,
 * the USCC (GB 32100) of a domestic unit or the registration number of an HMT or foreign one, an
 * optional e-mail, and both person blocks complete (checkPersonBlock). Returns every field's
 * problem at once, keyed by form field name, or the normalised changes.
 */
export function checkLegalProfile(
  input: LegalProfileInput,
  today: Date,
): { ok: true; changes: LegalProfileChanges } | { ok: false; fields: Partial<Record<string, MessageKey>> } {
  const fields: Partial<Record<string, MessageKey>> = {};
  const orgName = input.orgName?.trim() ?? '';
  if (!orgName) fields.orgName = 'account.error.org_name_required';
  else if ([...orgName].length > 100) fields.orgName = 'account.error.org_name_too_long';

  const region = input.registrationRegion?.trim() as RegistrationRegion;
  if (!REGISTRATION_REGIONS.includes(region)) fields.registrationRegion = 'profile.error.choose_option';
  const orgType = input.orgType?.trim() as OrgType;
  if (!ORG_TYPES.includes(orgType)) fields.orgType = 'profile.error.choose_option';

  let uscc: string | null = null;
  let registrationNumber: string | null = null;
  if (region === 'domestic') {
    const checked = validateUscc(input.uscc ?? '');
    if (checked.ok) uscc = checked.normalized;
    else fields.uscc = input.uscc?.trim() ? `account.error.uscc_${checked.reason}` : 'legal_info.error.uscc_required';
  } else if (REGISTRATION_REGIONS.includes(region)) {
    registrationNumber = optional(input.registrationNumber);
    if (!registrationNumber) fields.registrationNumber = 'account.error.registration_number_required';
    else if ([...registrationNumber].length > 50 || /\p{Cc}/u.test(registrationNumber)) fields.registrationNumber = 'legal_info.error.registration_number_format';
  }

  const email = optional(input.email);
  if (email && (email.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))) fields.email = 'account.error.email_invalid';

  const blocks: Partial<Pick<LegalProfileChanges, 'legalRepresentative' | 'mainAgent'>> = {};
  for (const [key, prefix] of Object.entries(PERSON_BLOCK_PREFIXES) as [keyof typeof PERSON_BLOCK_PREFIXES, string][]) {
    const checked = checkPersonBlock(input[key], today);
    if (checked.ok) blocks[key] = checked.block;
    else Object.assign(fields, prefixFields(prefix, checked.fields));
  }

  if (Object.keys(fields).length) return { ok: false, fields };
  return {
    ok: true,
    changes: {
      orgName,
      registrationRegion: region,
      orgType,
      uscc,
      registrationNumber,
      email,
      legalRepresentative: blocks.legalRepresentative!,
      mainAgent: blocks.mainAgent!,
    },
  };
}
