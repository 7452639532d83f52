import type { MessageKey } from '../../i18n/index.js';
import type { LookupCase } from './torch-lookup.rules.js';

export interface AnswerText {
  title: MessageKey;
  /** 查询结果：…, with {loginName}. */
  result: MessageKey;
  /** What to do, with {supportPhone} for a conflict. */
  steps: MessageKey;
  /** The guide's "if the password is refused …" or "to learn the legal account …". */
  note?: MessageKey;
  /** The guide's 原因：…. */
  reason?: MessageKey;
}

/** The guide's paragraphs for each answer (chapter 一 of the user guide). */
export const ANSWER_TEXT: Record<LookupCase, AnswerText> = {
  E1: { title: 'torch_lookup.case.E1.title', result: 'torch_lookup.case.E1.result', steps: 'torch_lookup.case.E1.steps', note: 'torch_lookup.case.E1.note' },
  E2: { title: 'torch_lookup.case.E2.title', result: 'torch_lookup.case.E2.result', steps: 'torch_lookup.case.E2.steps', reason: 'torch_lookup.case.E2.reason' },
  E3: { title: 'torch_lookup.case.E3.title', result: 'torch_lookup.case.E3.result', steps: 'torch_lookup.case.E3.steps', reason: 'torch_lookup.case.E3.reason' },
  E4: {
    title: 'torch_lookup.case.E4.title',
    result: 'torch_lookup.case.E4.result',
    steps: 'torch_lookup.case.E4.steps',
    note: 'torch_lookup.case.E4.note',
    reason: 'torch_lookup.case.E4.reason',
  },
  P1: { title: 'torch_lookup.case.P1.title', result: 'torch_lookup.case.P1.result', steps: 'torch_lookup.case.P1.steps', note: 'torch_lookup.case.P1.note' },
  P2: { title: 'torch_lookup.case.P2.title', result: 'torch_lookup.case.P2.result', steps: 'torch_lookup.case.P2.steps', reason: 'torch_lookup.case.P2.reason' },
  P3: { title: 'torch_lookup.case.P3.title', result: 'torch_lookup.case.P3.result', steps: 'torch_lookup.case.P3.steps', reason: 'torch_lookup.case.P3.reason' },
  P4: { title: 'torch_lookup.case.P4.title', result: 'torch_lookup.case.P4.result', steps: 'torch_lookup.case.P4.steps', reason: 'torch_lookup.case.P4.reason' },
  conflict: { title: 'torch_lookup.case.conflict.title', result: 'torch_lookup.case.conflict.result', steps: 'torch_lookup.case.conflict.steps' },
  enterprise_new: {
    title: 'torch_lookup.case.enterprise_new.title',
    result: 'torch_lookup.case.enterprise_new.result',
    steps: 'torch_lookup.case.enterprise_new.steps',
  },
  enterprise_registered: {
    title: 'torch_lookup.case.enterprise_registered.title',
    result: 'torch_lookup.case.enterprise_registered.result',
    steps: 'torch_lookup.case.enterprise_registered.steps',
  },
  personal_new: {
    title: 'torch_lookup.case.personal_new.title',
    result: 'torch_lookup.case.personal_new.result',
    steps: 'torch_lookup.case.personal_new.steps',
  },
};
