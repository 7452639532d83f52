/**
 * CPU time spent by a process (and, for PostgreSQL, by the postmaster and its backends), from
 * /proc: which side of the system a workload actually costs.
 */
import fs from 'node:fs';
import path from 'node:path';

const TICKS_PER_SECOND = 100; // CLK_TCK on Linux

function statFields(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces; fields start after its closing parenthesis.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** utime + stime of `pid` in ms (plus reaped children's when `withChildren`). */
export function processCpuMs(pid: number, withChildren = false): number {
  const fields = statFields(pid);
  if (!fields) return 0;
  // After the name: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14).
  const ticks = Number(fields[11]) + Number(fields[12]) + (withChildren ? Number(fields[13]) + Number(fields[14]) : 0);
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** System (kernel) part of `pid`'s CPU time in ms. */
export function processSystemCpuMs(pid: number): number {
  const fields = statFields(pid);
  return fields ? (Number(fields[12]) * 1000) / TICKS_PER_SECOND : 0;
}

/** CPU ms of a PostgreSQL cluster: the postmaster (with reaped backends) and its live children. */
export function clusterCpuMs(clusterDir: string): number {
  let postmaster: number;
  try {
    postmaster = Number(fs.readFileSync(path.join(clusterDir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return 0;
  }
  let total = processCpuMs(postmaster, true);
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields && Number(fields[1]) === postmaster) total += processCpuMs(Number(entry));
  }
  return total;
}
