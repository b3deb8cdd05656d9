/** CPU time of a process's threads from /proc (Linux), by thread name: where a JVM's CPU goes. */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/**
 * CPU ms (user + system) per thread group of `pid`: threads named alike once digits are dropped
 * ("core-12" and "core-3" are "core-#"; Linux cuts names at 15 characters). Empty without /proc.
 */
export function threadGroupCpuMs(pid: number): Map<string, number> {
  const groups = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return groups;
  }
  for (const tid of tids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+/g, '#');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ms = ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
    groups.set(name, (groups.get(name) ?? 0) + ms);
  }
  return groups;
}

/** What each group spent between two readings, largest first (groups that spent nothing left out). */
export function threadGroupDelta(before: Map<string, number>, after: Map<string, number>): Array<[string, number]> {
  const spent: Array<[string, number]> = [];
  for (const [name, ms] of after) {
    const delta = ms - (before.get(name) ?? 0);
    if (delta > 0) spent.push([name, delta]);
  }
  return spent.sort((a, b) => b[1] - a[1]);
}
