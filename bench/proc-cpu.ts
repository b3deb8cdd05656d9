/** CPU time from /proc (Linux) — of a process, a thread, or the whole machine — for settle() and the CPU-per-MB figures. */
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU time (ms, user + system, all threads) `pid` used so far; undefined without /proc. */
export function processCpuMs(pid: number): number | undefined {
  try {
    return statCpuMs(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** User + system CPU ms from a /proc `stat` line (of a process, or of one thread under task/). */
export function statCpuMs(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/**
 * CPU ms the whole machine (all cores) has been busy so far, from /proc/stat's first line;
 * undefined without /proc. Busy is user + nice + system + irq + softirq: idle and iowait are not,
 * and neither is steal (another guest ran) nor guest (already inside user).
 */
export function machineBusyMs(): number | undefined {
  let first: string;
  try {
    first = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  } catch {
    return undefined;
  }
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice
  const [user, nice, system, , , irq, softirq] = first.trim().split(/\s+/).slice(1).map(Number);
  return ((user! + nice! + system! + irq! + softirq!) * 1000) / TICKS_PER_SECOND;
}
