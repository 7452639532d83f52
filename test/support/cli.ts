import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { TEST_PII_KEY, testDatabaseUrl } from './test-app.js';

const execFileAsync = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run cli -- …` as an operator runs it (a child process), against the test PostgreSQL. */
export async function runCli(args: string[], input?: string, env: Record<string, string> = {}): Promise<CliResult> {
  const child = execFileAsync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: testDatabaseUrl(), PII_KEY: TEST_PII_KEY, NODE_OPTIONS: '', LANG: 'zh_CN.UTF-8', ...env },
  });
  if (input !== undefined) child.child.stdin!.end(input);
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as CliResult;
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
