import type { MessageKey } from '../../i18n/index.js';
import type { LegacyKind } from './legacy-record.js';
import type { TorchCase, TorchWindow } from './torch.rules.js';

/** The import's names, as the lookup speaks of them. */
export type LookupKind = LegacyKind;
export type LoginWindow = TorchWindow;

/** The import's decision for one legacy account (SPEC §8; torch_outcomes.case). */
export type OutcomeCase = TorchCase | 'conflict';

/**
 * What the lookup answers: an import outcome, or the guide's 1-1 / 2-1 for those never in the
 * legacy system — `enterprise_new` (no platform legal account for the USCC either: register),
 * `enterprise_registered` (the platform has one: log in and verify), `personal_new` (register).
 */
export type LookupCase = OutcomeCase | 'enterprise_new' | 'enterprise_registered' | 'personal_new';

export interface StoredOutcome {
  case: OutcomeCase;
  /** The login name the outcome gives (the linked account's current one where there is one). */
  loginName: string | null;
  window: LoginWindow | null;
}

export interface AnswerLink {
  label: MessageKey;
  href: string;
}

export interface LookupAnswer {
  kind: LookupKind;
  case: LookupCase;
  /** The login name to show; masked for P4, absent where the answer names none. */
  loginName?: string;
  window?: LoginWindow;
  /** Whether the password is the old Torch Center one or the user's own platform one. */
  password?: 'old' | 'own';
  links: AnswerLink[];
}

const loginLink = (window: LoginWindow): AnswerLink => ({ label: `torch_lookup.link.login_${window}`, href: `/portal/login?login_type=${window}` });
const RECOVER: AnswerLink = { label: 'torch_lookup.link.recover', href: '/recovery' };
const APPEAL: AnswerLink = { label: 'torch_lookup.link.appeal', href: '/recovery/appeal/natural' };
const REGISTER: AnswerLink = { label: 'torch_lookup.link.register', href: '/register' };

/** The window each case signs in at (the guide's 法人登录 / 自然人登录). */
const CASE_WINDOW: Record<Exclude<OutcomeCase, 'conflict'>, LoginWindow> = {
  E1: 'legal',
  E2: 'legal',
  E3: 'legal',
  E4: 'natural',
  P1: 'natural',
  P2: 'natural',
  P3: 'natural',
  P4: 'natural',
};

/** Cases where the import kept the old password; elsewhere the account's own password counts. */
const OLD_PASSWORD = new Set<OutcomeCase>(['E1', 'E3', 'E4', 'P1', 'P3']);

/**
 * `ab***yz`: enough for its owner to recognise, too little to sign in with or to tell its length.
 * Short names keep only their first character.
 */
export function maskLoginName(loginName: string): string {
  const characters = [...loginName];
  if (characters.length <= 4) return `${characters[0] ?? ''}***`;
  return `${characters.slice(0, 2).join('')}***${characters.slice(-2).join('')}`;
}

/**
 * The answer for an import outcome. The E4 legal account is never named (the guide sends the user
 * to forgot-password for it), and P4's verified account only masked: the mobile proves who asks,
 * not that the account is theirs.
 */
export function answerForOutcome(kind: LookupKind, outcome: StoredOutcome): LookupAnswer {
  if (outcome.case === 'conflict') return { kind, case: 'conflict', links: [] };
  const window = outcome.window ?? CASE_WINDOW[outcome.case];
  const password = OLD_PASSWORD.has(outcome.case) ? 'old' : 'own';
  const loginName = outcome.loginName ?? undefined;
  const shown = outcome.case === 'P4' && loginName ? maskLoginName(loginName) : loginName;
  const links = [loginLink(window), outcome.case === 'P4' ? APPEAL : RECOVER];
  return { kind, case: outcome.case, loginName: shown, window, password, links };
}

/** The guide's 1-1: never in the legacy system; the platform may already have the unit's legal account. */
export function answerForNewEnterprise(platformHasLegalAccount: boolean): LookupAnswer {
  return platformHasLegalAccount
    ? { kind: 'enterprise', case: 'enterprise_registered', window: 'legal', password: 'own', links: [loginLink('legal'), RECOVER] }
    : { kind: 'enterprise', case: 'enterprise_new', links: [REGISTER] };
}

/** The guide's 2-1: never in the legacy system. */
export function answerForNewPerson(): LookupAnswer {
  return { kind: 'personal', case: 'personal_new', links: [REGISTER] };
}
