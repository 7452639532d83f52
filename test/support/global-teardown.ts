import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export default async function globalTeardown(): Promise<void> {
  const dir = process.env.TEST_PG_DIR;
  const bin = process.env.TEST_PG_BIN;
  if (!dir || !bin) return;
  const args = ['-D', path.join(dir, 'data'), '-m', 'immediate', 'stop'];
  if (process.getuid?.() === 0) execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, 'pg_ctl'), ...args], { stdio: 'pipe' });
  else execFileSync(path.join(bin, 'pg_ctl'), args, { stdio: 'pipe' });
  fs.rmSync(dir, { recursive: true, force: true });
}
