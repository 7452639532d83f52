import { loginNameKey, validateLoginName } from '../../src/accounts/login-name.js';

describe('validateLoginName', () => {
  test.each(['abcd', 'Zhang_San_1990', 'HJ_13812345678', '____', 'a'.repeat(64)])(
    'when the login name is %s, then it is accepted unchanged',
    (value) => {
      expect(validateLoginName(value)).toEqual({ ok: true, normalized: value });
    },
  );

  test('when the login name has surrounding spaces, then they are trimmed', () => {
    expect(validateLoginName('  alice_1 ')).toEqual({ ok: true, normalized: 'alice_1' });
  });

  test.each(['abc', '', '   ', 'a'.repeat(65)])('when the login name is %j, then it is refused for its length', (value) => {
    expect(validateLoginName(value)).toEqual({ ok: false, reason: 'length' });
  });

  test('when spaces pad a 3-character name to 4, then it is still refused for its length', () => {
    expect(validateLoginName(' abc ')).toEqual({ ok: false, reason: 'length' });
  });

  test.each(['张三', 'alice smith', 'alice-smith', 'alice@example.com', 'ｆｕｌｌｗｉｄｔｈ', 'alice\tbob'])(
    'when the login name is %j, then it is refused for its characters',
    (value) => {
      expect(validateLoginName(value)).toEqual({ ok: false, reason: 'characters' });
    },
  );
});

describe('loginNameKey', () => {
  test('when two names differ only in case, then they share one key', () => {
    expect(loginNameKey('Alice_01')).toBe(loginNameKey('aLICE_01'));
  });

  test('when two names differ in letters, then their keys differ', () => {
    expect(loginNameKey('alice_01')).not.toBe(loginNameKey('alice_02'));
  });

  test('when the name has surrounding spaces, then the key is the trimmed lower-case name', () => {
    expect(loginNameKey('  Alice ')).toBe('alice');
  });
});
