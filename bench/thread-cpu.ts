/** CPU time of a process's threads from /proc (Linux), by thread name: where a JVM's CPU goes. */
import { readdirSync, readFileSync } from 'node:fs';
import { statCpuMs } from './proc-cpu.js';

/** One reading: each live thread's name and CPU ms (user + system) so far, by thread id. */
export type ThreadCpu = Map<string, { name: string; ms: number }>;

/** Each live thread of `pid` (empty without /proc). */
export function threadCpu(pid: number): ThreadCpu {
  const threads: ThreadCpu = new Map();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return threads;
  }
  for (const tid of tids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    threads.set(tid, { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ms: statCpuMs(stat) });
  }
  return threads;
}

/**
 * CPU ms each thread group spent between two readings, largest first. A group is threads named
 * alike once digits are dropped ("core-12" and "core-3" are "core-#"; Linux cuts names at 15
 * characters). Deltas are per thread, so a thread that started meanwhile counts from zero, and one
 * that ended meanwhile (the JVM starts and stops compiler threads as needed) is missing only what
 * it spent between the readings, instead of taking its whole lifetime off its group.
 */
export function threadGroupDelta(before: ThreadCpu, after: ThreadCpu): Array<[string, number]> {
  const groups = new Map<string, number>();
  for (const [tid, { name, ms }] of after) {
    const previous = before.get(tid);
    // A thread id reused by a new thread (another name) starts from zero.
    const delta = previous && previous.name === name ? ms - previous.ms : ms;
    const group = name.replace(/\d+/g, '#');
    groups.set(group, (groups.get(group) ?? 0) + delta);
  }
  return [...groups].filter(([, ms]) => ms > 0).sort((a, b) => b[1] - a[1]);
}
