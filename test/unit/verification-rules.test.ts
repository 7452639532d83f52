import type { RealNameStatus } from '../../src/accounts/account.types.js';
import { en } from '../../src/i18n/en.js';
import { zhCN } from '../../src/i18n/zh-CN.js';
import { comparableName } from '../../src/verification/reference-register.identity-authority.js';
import { REAL_NAME_STATUS_LABELS, VERIFICATION_OUTCOME_MESSAGES } from '../../src/verification/verification.messages.js';
import { canEditIdentityFields } from '../../src/verification/verification.service.js';

describe('real-name verification rules', () => {
  test.each<[RealNameStatus, boolean]>([
    ['unverified', true],
    ['rejected', true],
    ['pending_review', false],
    ['verified', false],
    ['reviewed', false],
  ])('when the real-name status is %s, then identity fields can be edited: %s', (realNameStatus, editable) => {
    expect(canEditIdentityFields({ realNameStatus })).toBe(editable);
  });

  test('when the outcome and status labels are looked up, then both languages have a message for each (the guide\'s five statuses in zh-CN)', () => {
    for (const key of [...Object.values(VERIFICATION_OUTCOME_MESSAGES), ...Object.values(REAL_NAME_STATUS_LABELS)]) {
      expect(zhCN[key]).toBeTruthy();
      expect(en[key]).toBeTruthy();
    }
    expect(Object.values(REAL_NAME_STATUS_LABELS).map((key) => zhCN[key])).toEqual(['未实名认证', '已实名认证', '审核中', '已审核认证', '审核未通过']);
  });

  test('when names are compared, then width, case, surrounding spaces and the separator dot do not matter, but characters do', () => {
    expect(comparableName('Ｊｏｈｎ  Smith ')).toBe(comparableName('JOHN SMITH'));
    expect(comparableName('阿依古丽·买买提')).toBe(comparableName('阿依古丽．买买提'));
    expect(comparableName('张三')).not.toBe(comparableName('张叁'));
  });
});
