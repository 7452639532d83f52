import crypto from 'node:crypto';
import { validateDocumentNumber } from '../../src/accounts/identity-documents.js';

const GB11643_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
// Beijing, Shanghai and Guangzhou district codes.
const REGIONS = ['110105', '110108', '310104', '440106'];

/**
 * A random valid resident identity card number (GB 11643), unique enough per test. Tests never
 * verify with the shipped demo numbers: one document verifies only one account per database.
 */
export function uniqueResidentId(): string {
  const born = new Date(Date.UTC(1950, 0, 1) + crypto.randomInt(0, 50 * 365) * 86_400_000);
  const first17 =
    REGIONS[crypto.randomInt(0, REGIONS.length)]! +
    born.toISOString().slice(0, 10).replaceAll('-', '') +
    String(crypto.randomInt(0, 1000)).padStart(3, '0');
  const sum = [...first17].reduce((total, digit, i) => total + Number(digit) * GB11643_WEIGHTS[i]!, 0);
  const number = first17 + '10X98765432'[sum % 11];
  if (!validateDocumentNumber('resident_id', number).ok) throw new Error(`generated an invalid number ${number}`);
  return number;
}

const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴'];
const GIVEN = ['伟', '芳', '娜', '敏', '静', '强', '磊', '洋', '艳', '勇', '军', '杰', '娟', '涛', '明'];

/** A plausible Chinese name; distinct names per test keep a mismatch a mismatch. */
export function uniqueName(): string {
  const pick = (list: string[]) => list[crypto.randomInt(0, list.length)]!;
  return pick(SURNAMES) + pick(GIVEN) + pick(GIVEN);
}
