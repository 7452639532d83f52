import crypto from 'node:crypto';
import { byActor, type AuditService } from '../audit/audit.service.js';
import type { Db } from '../db/database.js';
import { DomainError, ValidationError } from '../errors.js';
import type { MessageKey } from '../i18n/index.js';
import type { PasswordHasher } from '../security/password-hasher.js';
import type { AccountRepository } from './account.repository.js';
import type { Account, AccountKind, OrgType, PersonBlock, RegistrationRegion } from './account.types.js';
import {
  DOCUMENT_TYPES_BY_IDENTITY,
  normalizeMobile,
  isValidMainlandMobile,
  validateDocumentNumber,
  validateUscc,
  type DocumentType,
  type IdentityType,
} from './identity-documents.js';
import { validateLoginName } from './login-name.js';
import { checkPassword } from './password-policy.js';
import { checkPersonBlock, prefixFields, type PersonBlockInput } from './person-block.rules.js';

export interface NewAccount {
  kind: AccountKind;
  loginName: string;
  password: string;
  mobile: string;
  email?: string;
  /** Natural accounts. */
  name?: string;
  identityType?: IdentityType;
  documentType?: DocumentType;
  documentNumber?: string;
  /** Legal accounts. */
  orgName?: string;
  uscc?: string;
  registrationRegion?: RegistrationRegion;
  orgType?: OrgType;
  registrationNumber?: string;
  legalRepresentative?: PersonBlockInput;
  /** Its mobile should be the account's reserved mobile (registration makes it so). */
  mainAgent?: PersonBlockInput;
  /** Marks the account real-name verified (operators' demos and tests). */
  realNameVerified?: boolean;
  mobileVerified?: boolean;
}

export interface Actor {
  type: 'cli' | 'account' | 'operator' | 'anonymous' | 'system';
  id?: string;
  ip?: string;
  requestId?: string;
}

type Fields = Partial<Record<string, MessageKey>>;

interface Validated {
  fields: Fields;
  mobile: string;
  documentNumber?: string;
  uscc?: string;
  legalRepresentative?: PersonBlock;
  mainAgent?: PersonBlock;
}

function validate(input: NewAccount, today: Date): Validated {
  const fields: Fields = {};
  const loginName = validateLoginName(input.loginName ?? '');
  if (!loginName.ok) fields.loginName = `account.error.login_name_${loginName.reason}`;
  const password = checkPassword(input.password ?? '', input.loginName ?? '');
  if (!password.ok) fields.password = `account.error.password_${password.problems[0]!}`;
  const mobile = normalizeMobile(input.mobile ?? '');
  if (!isValidMainlandMobile(mobile)) fields.mobile = 'account.error.mobile_invalid';
  if (input.email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(input.email)) fields.email = 'account.error.email_invalid';

  let documentNumber: string | undefined;
  let uscc: string | undefined;
  const blocks: Pick<Validated, 'legalRepresentative' | 'mainAgent'> = {};
  if (input.kind === 'natural') {
    if (!input.name?.trim()) fields.name = 'account.error.name_required';
    if (input.documentNumber) {
      const identityType = input.identityType ?? 'mainland';
      const documentType = input.documentType ?? DOCUMENT_TYPES_BY_IDENTITY[identityType][0]!;
      if (!DOCUMENT_TYPES_BY_IDENTITY[identityType]?.includes(documentType)) {
        fields.documentType = 'account.error.document_type_mismatch';
      } else {
        const checked = validateDocumentNumber(documentType, input.documentNumber);
        if (checked.ok) documentNumber = checked.normalized;
        else fields.documentNumber = `account.error.document_${checked.reason}`;
      }
    }
  } else {
    if (!input.orgName?.trim()) fields.orgName = 'account.error.org_name_required';
    else if ([...input.orgName.trim()].length > 100) fields.orgName = 'account.error.org_name_too_long';
    const region = input.registrationRegion ?? 'domestic';
    if (region === 'domestic') {
      const checked = validateUscc(input.uscc ?? '');
      if (checked.ok) uscc = checked.normalized;
      else fields.uscc = `account.error.uscc_${checked.reason}`;
    } else if (!input.registrationNumber?.trim()) {
      fields.registrationNumber = 'account.error.registration_number_required';
    }
    for (const [key, prefix] of [['legalRepresentative', 'rep'], ['mainAgent', 'agent']] as const) {
      if (!input[key]) continue;
      const checked = checkPersonBlock(input[key], today);
      if (checked.ok) blocks[key] = checked.block;
      else Object.assign(fields, prefixFields(prefix, checked.fields));
    }
  }
  return { fields, mobile, documentNumber, uscc, ...blocks };
}

/** Account rules that span repositories: validation, hashing, creation with its audit event. */
export class AccountService {
  constructor(
    private readonly db: Db,
    private readonly accounts: AccountRepository,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditService,
  ) {}

  async create(input: NewAccount, actor: Actor): Promise<Account> {
    const { fields, mobile, documentNumber, uscc, legalRepresentative, mainAgent } = validate(input, new Date());
    if (Object.keys(fields).length > 0) throw new ValidationError(fields);

    const passwordHash = await this.hasher.hash(input.password);
    const id = crypto.randomUUID();
    await this.db.transaction(async (trx) => {
      if (await this.accounts.loginNameTaken(input.loginName, trx)) {
        throw new ValidationError({ loginName: 'account.error.login_name_taken' });
      }
      await this.accounts.insert(
        {
          id,
          kind: input.kind,
          loginName: input.loginName.trim(),
          passwordHash,
          mobile,
          mobileVerified: input.mobileVerified ?? false,
          email: input.email?.trim() || null,
          realNameVerified: input.realNameVerified ?? false,
        },
        input.kind === 'natural'
          ? {
              natural: {
                name: input.name!.trim(),
                identityType: documentNumber ? (input.identityType ?? 'mainland') : undefined,
                documentType: documentNumber
                  ? (input.documentType ?? DOCUMENT_TYPES_BY_IDENTITY[input.identityType ?? 'mainland'][0])
                  : undefined,
                documentNumber,
              },
            }
          : {
              legal: {
                orgName: input.orgName!.trim(),
                registrationRegion: input.registrationRegion ?? 'domestic',
                orgType: input.orgType ?? 'enterprise',
                uscc: uscc ?? null,
                registrationNumber: input.registrationNumber?.trim() || null,
                legalRepresentative: legalRepresentative ?? null,
                mainAgent: mainAgent ?? null,
              },
            },
        trx,
      );
      await this.audit.record(
        {
          event: 'account.created',
          outcome: 'success',
          ...byActor(actor),
          subject: { type: 'account', id },
          details: { kind: input.kind, realNameVerified: Boolean(input.realNameVerified) },
        },
        trx,
      );
    });
    const account = await this.accounts.findById(id);
    if (!account) throw new DomainError('error.internal', 500);
    return account;
  }
}
