import { checkPassword, countCharacterClasses } from '../../src/accounts/password-policy.js';

describe('countCharacterClasses', () => {
  test.each([
    ['', 0],
    ['abcdef', 1],
    ['ABCdef', 2],
    ['ABCdef12', 3],
    ['ABCdef12!', 4],
    ['abc 123', 3],
    ['abc！123', 3],
    ['密码abc123', 3],
  ])('when the password is %j, then it uses %i classes', (password, classes) => {
    expect(countCharacterClasses(password)).toBe(classes);
  });
});

describe('checkPassword', () => {
  test('when the password has 8 characters and 3 classes, then it passes as medium', () => {
    expect(checkPassword('Abcdef12', 'alice')).toEqual({ ok: true, problems: [], strength: 'medium' });
  });

  test('when the password has 12 characters and all 4 classes, then it is strong', () => {
    expect(checkPassword('Abcdefgh12!?', 'alice')).toEqual({ ok: true, problems: [], strength: 'strong' });
  });

  test('when the password has 11 characters and all 4 classes, then it is only medium', () => {
    expect(checkPassword('Abcdefg12!?', 'alice')).toEqual({ ok: true, problems: [], strength: 'medium' });
  });

  test('when the password has 16 characters but 3 classes, then it is only medium', () => {
    expect(checkPassword('Abcdefghijklm123', 'alice')).toEqual({ ok: true, problems: [], strength: 'medium' });
  });

  test('when the password has 7 characters, then it is too short and weak', () => {
    expect(checkPassword('Abcde1!', 'alice')).toEqual({ ok: false, problems: ['too_short'], strength: 'weak' });
  });

  test('when the password uses 2 classes, then it has too few classes and is weak', () => {
    expect(checkPassword('abcdefgh1234', 'alice')).toEqual({ ok: false, problems: ['too_few_classes'], strength: 'weak' });
  });

  test('when the password equals the login name in another case, then it is refused', () => {
    expect(checkPassword('alice_2024', 'Alice_2024')).toEqual({
      ok: false,
      problems: ['equals_login_name'],
      strength: 'weak',
    });
  });

  test('when the password only contains the login name, then that alone is no problem', () => {
    expect(checkPassword('alice_2024!', 'alice_2024').problems).toEqual([]);
  });

  test('when the login name is not yet entered, then no equality problem is reported', () => {
    expect(checkPassword('', '').problems).toEqual(['too_short', 'too_few_classes']);
  });

  test('when the password has 128 characters, then it is accepted', () => {
    expect(checkPassword(`Aa1!${'x'.repeat(124)}`, 'alice').ok).toBe(true);
  });

  test('when the password has 129 characters, then it is too long', () => {
    expect(checkPassword(`Aa1!${'x'.repeat(125)}`, 'alice')).toEqual({ ok: false, problems: ['too_long'], strength: 'weak' });
  });

  test('when characters lie outside the BMP, then each counts once toward the length', () => {
    // Three ASCII characters and four emoji: 11 UTF-16 units, but 7 characters.
    expect(checkPassword('Ab1😀😀😀😀', 'alice').problems).toEqual(['too_short']);
  });
});
