import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ReferenceRegisterIdentityAuthority } from '../../src/verification/reference-register.identity-authority.js';
import { loadReferenceRegister, ReferenceRegisterFileError, readReferenceRegisterFile } from '../../src/verification/reference-register.file.js';
import { loadSettings } from '../../src/settings.js';
import { createNaturalAccount } from '../support/accounts.js';
import { uniqueName, uniqueResidentId } from '../support/identities.js';
import { startTestApp, TEST_PII_KEY, testDatabaseUrl, type TestApp } from '../support/test-app.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'idp-register-'));

/** A register file of its own for one test. */
function registerFile(entries: unknown): string {
  const file = path.join(tmp, `${uniqueResidentId()}.json`);
  fs.writeFileSync(file, JSON.stringify(entries));
  return file;
}

/** Loads `entries` into the register the way start-up does, from a file. */
async function load(app: TestApp, entries: unknown): Promise<void> {
  const settings = loadSettings({ NODE_ENV: 'test', REFERENCE_REGISTER_FILE: registerFile(entries) });
  await loadReferenceRegister(settings, app.context.referenceRegister);
}

describe('the reference register (the default identity authority outside production)', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const check = (name: string, documentNumber: string) =>
    app.context.identityAuthority.checkPerson({ name, documentType: 'resident_id', documentNumber });

  test('when nothing chooses an authority, then the app asks the reference register', () => {
    expect(app.context.identityAuthority).toBeInstanceOf(ReferenceRegisterIdentityAuthority);
  });

  test('when a person is in the register file, then their name with their document is a match', async () => {
    const name = uniqueName();
    const documentNumber = uniqueResidentId();
    await load(app, [{ name, document_type: 'resident_id', document_number: documentNumber }]);
    expect(await check(name, documentNumber)).toBe('match');
  });

  test('when the name differs from the registered one, then it is a mismatch', async () => {
    const name = uniqueName();
    const documentNumber = uniqueResidentId();
    await load(app, [{ name, document_type: 'resident_id', document_number: documentNumber }]);
    expect(await check(`${name}华`, documentNumber)).toBe('mismatch');
    expect(await check(name.slice(0, 2), documentNumber)).toBe('mismatch');
  });

  test('when the number is not in the register, or registered for another document type, then it is a mismatch', async () => {
    const name = uniqueName();
    const documentNumber = uniqueResidentId();
    await load(app, [{ name, document_type: 'resident_id', document_number: documentNumber }]);
    expect(await check(name, uniqueResidentId())).toBe('mismatch');
    expect(await app.context.identityAuthority.checkPerson({ name, documentType: 'hmt_residence_permit', documentNumber })).toBe('mismatch');
  });

  test('when a transliterated name is typed with another dot, full-width or with spaces around it, then it still matches', async () => {
    const documentNumber = uniqueResidentId();
    await load(app, [{ name: '阿依古丽·买买提', document_type: 'resident_id', document_number: documentNumber }]);
    expect(await check('阿依古丽•买买提', documentNumber)).toBe('match');
    expect(await check('阿依古丽．买买提', documentNumber)).toBe('match');
    expect(await check(' 阿依古丽・买买提 ', documentNumber)).toBe('match');
    expect(await check('阿依古丽买买提', documentNumber)).toBe('mismatch');
  });

  test('when the register is stored, then the table holds the keyed blind index and never the number', async () => {
    const name = uniqueName();
    const documentNumber = uniqueResidentId();
    await load(app, [{ name, document_type: 'resident_id', document_number: documentNumber }]);

    const columns = await app.context.db('information_schema.columns').where({ table_name: 'reference_register_people' }).pluck('column_name');
    expect(columns.sort()).toEqual(['document_number_index', 'document_type', 'name', 'updated_at']);
    const rows = await app.context.db('reference_register_people').where({ document_number_index: app.context.crypt.blindIndex(documentNumber) }).select();
    expect(rows).toEqual([expect.objectContaining({ name, document_type: 'resident_id' })]);
    const everything = JSON.stringify(await app.context.db('reference_register_people').select());
    expect(everything).not.toContain(documentNumber);
    expect(everything).not.toContain(documentNumber.slice(0, 17));
  });

  test('when the same file is loaded twice, then each person is stored once; a changed name replaces the old one', async () => {
    const documentNumber = uniqueResidentId();
    const [first, renamed] = [uniqueName(), `${uniqueName()}明`];
    await load(app, [{ name: first, document_type: 'resident_id', document_number: documentNumber }]);
    await load(app, [{ name: first, document_type: 'resident_id', document_number: documentNumber }]);
    await load(app, [{ name: renamed, document_type: 'resident_id', document_number: documentNumber }]);

    const index = app.context.crypt.blindIndex(documentNumber);
    expect(await app.context.db('reference_register_people').where({ document_number_index: index }).pluck('name')).toEqual([renamed]);
    expect(await check(renamed, documentNumber)).toBe('match');
    expect(await check(first, documentNumber)).toBe('mismatch');
  });

  test('when the register lists a person, then automatic verification of their account succeeds through it', async () => {
    const name = uniqueName();
    const documentNumber = uniqueResidentId();
    await load(app, [{ name, document_type: 'resident_id', document_number: documentNumber.toLowerCase() }]);
    const { account } = await createNaturalAccount(app, { name, documentNumber });

    expect(await app.context.verification.verifyNaturalAccount(account.id, { type: 'account', id: account.id })).toEqual({ outcome: 'verified' });
    expect(await app.context.accounts.findById(account.id)).toMatchObject({ realNameStatus: 'verified' });
  });

  test('when the shipped register file is read, then its demo people are valid and the app loaded them at start', async () => {
    const people = readReferenceRegisterFile(path.join(root, 'config/reference-register.json'));
    expect(people.length).toBeGreaterThanOrEqual(3);
    expect(people).toContainEqual({ name: expect.any(String), documentType: 'resident_id', documentNumber: '11010519491231002X' });
    expect(people).toContainEqual({ name: expect.any(String), documentType: 'resident_id', documentNumber: '130503196704010016' });
    for (const person of people) {
      expect(await app.context.identityAuthority.checkPerson(person)).toBe('match');
    }
  });

  describe('when the register file is wrong, then loading stops with an error naming the entry and field, never echoing a number', () => {
    const number = uniqueResidentId();
    const wrongCheck = number.slice(0, 17) + (number[17] === '0' ? '1' : '0');
    test.each([
      ['not an array', { people: [] }, /must be a JSON array/],
      ['a bad check character', [{ name: '张伟', document_type: 'resident_id', document_number: wrongCheck }], /entry 0: document_number: not a valid resident_id number \(check_character\)/],
      ['an unknown document type', [{ name: '张伟', document_type: 'driving_licence', document_number: number }], /entry 0: document_type: must be one of/],
      ['an empty name', [{ name: ' ', document_type: 'resident_id', document_number: number }], /entry 0: name: must not be empty/],
      ['an unknown field', [{ name: '张伟', document_type: 'resident_id', document_number: number, note: 'x' }], /entry 0: Unrecognized key: "note"/],
      ['a missing number', [{ name: '张伟', document_type: 'resident_id' }], /entry 0: document_number: /],
      [
        'a person listed twice',
        [{ name: '张伟', document_type: 'resident_id', document_number: number }, { name: '张伟', document_type: 'resident_id', document_number: number.toLowerCase() }],
        /entry 1: document_number: listed twice/,
      ],
    ])('(%s)', (_what, entries, message) => {
      const file = registerFile(entries);
      let error: unknown;
      try {
        readReferenceRegisterFile(file);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ReferenceRegisterFileError);
      expect((error as Error).message).toMatch(/^REFERENCE_REGISTER_FILE: /);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain(number.slice(0, 17));
    });

    test('(not JSON: the parser would quote the text near the mistake)', () => {
      const file = path.join(tmp, 'broken.json');
      fs.writeFileSync(file, `[{"name": "张伟", "document_number": ${number}X}]`);
      expect(() => readReferenceRegisterFile(file)).toThrow(ReferenceRegisterFileError);
      expect(() => readReferenceRegisterFile(file)).toThrow(/is not valid JSON$/);
    });
  });

  test('when `npm run cli -- db migrate` runs with the reference authority, then it loads the register file', async () => {
    const name = uniqueName();
    const documentNumber = uniqueResidentId();
    const file = registerFile([{ name, document_type: 'resident_id', document_number: documentNumber }]);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'db', 'migrate'], {
      cwd: root,
      env: { ...process.env, NODE_OPTIONS: '', DATABASE_URL: testDatabaseUrl(), PII_KEY: TEST_PII_KEY, REFERENCE_REGISTER_FILE: file },
    });
    expect(stdout).toContain('reference register: 1 people');
    expect(await check(name, documentNumber)).toBe('match');
  });
});
