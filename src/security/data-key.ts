import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SettingsError } from '../settings.js';
import { parsePiiKey } from './pii-crypto.js';

/**
 * The key that encrypts personal data, signing keys and app secrets at rest. From PII_KEY when set;
 * otherwise (development and the embedded default) generated once into the data directory.
 */
export function loadDataKey(piiKey: string | undefined, dataDir: string): Buffer {
  if (piiKey) {
    try {
      return parsePiiKey(piiKey);
    } catch (error) {
      throw new SettingsError(`PII_KEY: ${(error as Error).message}`);
    }
  }
  const file = path.join(dataDir, 'pii.key');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, crypto.randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  }
  return parsePiiKey(fs.readFileSync(file, 'utf8').trim());
}
