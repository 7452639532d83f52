/**
 * SPEC §8's decision tables, first match wins. Pure: what the platform holds comes in as a
 * PlatformView (the batch's set-based look-ups plus what earlier records of the run created), and
 * the decision says what to create; torch-import.service.ts writes it.
 */
import { loginNameKey } from '../../accounts/login-name.js';
import { validateUscc } from '../../accounts/identity-documents.js';
import type { LegacyRecord } from './legacy-record.js';

export type TorchCase = 'E1' | 'E2' | 'E3' | 'E4' | 'P1' | 'P2' | 'P3' | 'P4';
export type TorchWindow = 'natural' | 'legal';
export type ConflictReason = 'uscc_check_character' | 'hj_name_taken' | 'mobile_missing' | 'name_missing';

export const HJ_PREFIX = 'HJ_';

/** A platform account holding a login name. */
export interface NameHolder {
  accountId: string;
  kind: 'natural' | 'legal';
  loginName: string;
  /** Legal accounts: the unit's USCC. */
  uscc: string | null;
  mobileIndex: string;
}

export interface PlatformView {
  /** The account whose login name has this key (loginNameKey), if any. */
  holder(nameKey: string): NameHolder | undefined;
  /** The entity's legal account that grants E4's authorization: the one holding entity_claims, else the oldest. */
  legalAccountOf(uscc: string): { accountId: string; loginName: string } | undefined;
  /** A real-name-verified natural account reserving this mobile (by blind index). */
  verifiedNaturalByMobile(mobileIndex: string): { accountId: string; loginName: string } | undefined;
}

export type Decision =
  | { case: 'E2' | 'P2' | 'P4'; linkedAccountId: string; loginName: string; window: TorchWindow }
  | { case: 'E1' | 'E3'; create: 'legal'; loginName: string; window: 'legal' }
  | { case: 'E4'; create: 'natural'; loginName: string; window: 'natural'; name: string; grantor: string }
  | { case: 'P1' | 'P3'; create: 'natural'; loginName: string; window: 'natural'; name: string }
  | { case: 'conflict'; reason: ConflictReason };

const conflict = (reason: ConflictReason): Decision => ({ case: 'conflict', reason });

export function decide(record: LegacyRecord, view: PlatformView, mobileIndex: (mobile: string) => string): Decision {
  return record.kind === 'enterprise' ? decideEnterprise(record, view) : decidePerson(record, view, mobileIndex);
}

/** u if free, else HJ_u if free, else nothing: the HJ_ name being taken too is a conflict. */
function freeName(login: string, view: PlatformView): string | undefined {
  if (!view.holder(loginNameKey(login))) return login;
  const prefixed = HJ_PREFIX + login;
  return view.holder(loginNameKey(prefixed)) ? undefined : prefixed;
}

function decideEnterprise(record: LegacyRecord, view: PlatformView): Decision {
  const uscc = validateUscc(record.login);
  if (!uscc.ok) return conflict('uscc_check_character');
  const u = uscc.normalized;
  const holder = view.holder(loginNameKey(u));

  if (holder && holder.kind === 'legal' && holder.uscc === u) {
    return { case: 'E2', linkedAccountId: holder.accountId, loginName: holder.loginName, window: 'legal' };
  }
  const entity = view.legalAccountOf(u);
  if (entity) {
    const loginName = freeName(u, view);
    if (!loginName) return conflict('hj_name_taken');
    if (!record.mobile) return conflict('mobile_missing');
    const name = record.contactName ?? record.name;
    if (!name) return conflict('name_missing');
    return { case: 'E4', create: 'natural', loginName, window: 'natural', name, grantor: entity.accountId };
  }
  if (!record.mobile) return conflict('mobile_missing');
  if (holder) {
    const loginName = freeName(u, view);
    return loginName ? { case: 'E3', create: 'legal', loginName, window: 'legal' } : conflict('hj_name_taken');
  }
  return { case: 'E1', create: 'legal', loginName: u, window: 'legal' };
}

function decidePerson(record: LegacyRecord, view: PlatformView, mobileIndex: (mobile: string) => string): Decision {
  const p = record.login;
  const index = mobileIndex(p);
  const holder = view.holder(loginNameKey(p));
  const name = (record.name ?? record.contactName)!;

  if (holder && holder.kind === 'natural' && holder.mobileIndex === index) {
    return { case: 'P2', linkedAccountId: holder.accountId, loginName: holder.loginName, window: 'natural' };
  }
  if (holder) {
    const loginName = freeName(p, view);
    return loginName ? { case: 'P3', create: 'natural', loginName, window: 'natural', name } : conflict('hj_name_taken');
  }
  const verified = view.verifiedNaturalByMobile(index);
  if (verified) return { case: 'P4', linkedAccountId: verified.accountId, loginName: verified.loginName, window: 'natural' };
  return { case: 'P1', create: 'natural', loginName: p, window: 'natural', name };
}
