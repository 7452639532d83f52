import { generateCode } from '../../src/notify/sms-code.service.js';
import { codeMessage, maskCodes, SMS_PURPOSES } from '../../src/notify/sms-templates.js';

describe('SMS code generation', () => {
  const codes = Array.from({ length: 20_000 }, () => generateCode());

  test('when codes are generated, then each is exactly 6 digits, leading zeros kept', () => {
    expect(codes.filter((code) => !/^\d{6}$/.test(code))).toEqual([]);
    // About 10% start with 0: a generator that dropped them (or padded wrongly) shows none.
    expect(codes.filter((code) => code.startsWith('0')).length).toBeGreaterThan(1_000);
  });

  test('when 20 000 codes are generated, then they are spread over the whole space (few repeats, every digit in every position about equally)', () => {
    // From a million equally likely codes, 20 000 draws repeat about 200 times.
    expect(new Set(codes).size).toBeGreaterThan(19_500);
    for (let position = 0; position < 6; position += 1) {
      const counts = Array.from({ length: 10 }, () => 0);
      for (const code of codes) counts[Number(code[position])]! += 1;
      // Expected 2 000 each; ±300 is more than 6 standard deviations.
      expect(Math.min(...counts)).toBeGreaterThan(1_700);
      expect(Math.max(...counts)).toBeLessThan(2_300);
    }
  });
});

describe('SMS code messages', () => {
  test.each(SMS_PURPOSES)('when a %s code message is made, then it names the platform, the code, 5 minutes and warns not to share it, in Chinese', (purpose) => {
    const message = codeMessage(purpose, '042917', 300, '科技部政务服务平台');
    expect(message.text).toMatch(/^【科技部政务服务平台】验证码 042917，您正在.+，5 分钟内有效。请勿泄露给他人。$/);
    expect(message.template).toBe(`code_${purpose}`);
    expect(Object.values(message.params)).toEqual(['042917', '5']);
  });

  test('when the purposes are compared, then each message says what the code is for', () => {
    const texts = SMS_PURPOSES.map((purpose) => codeMessage(purpose, '123456', 300, '科技部政务服务平台').text);
    expect(new Set(texts).size).toBe(SMS_PURPOSES.length);
    expect(texts[0]).toContain('注册账号');
  });

  test('when the validity is not a whole number of minutes, then the message gives whole minutes rounded down, at least 1', () => {
    expect(codeMessage('register', '123456', 150, '科技部政务服务平台').params.minutes).toBe('2');
    expect(codeMessage('register', '123456', 30, '科技部政务服务平台').text).toContain('1 分钟内有效');
  });

  test('when a message is masked for the log, then the code is starred and the minutes stay', () => {
    const { text } = codeMessage('reset', '987654', 300, '科技部政务服务平台');
    expect(maskCodes(text)).toBe('【科技部政务服务平台】验证码 ******，您正在找回密码，5 分钟内有效。请勿泄露给他人。');
  });
});
