/** CPU time of a process from /proc (Linux): for settle() and the CPU-per-MB figures. */
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
 * The whole machine's busy and idle CPU ms so far (all cores, from /proc/stat's first line);
 * undefined without /proc. Busy includes interrupts and softirqs (loopback TCP's receive side),
 * which no process's figure above counts.
 */
export function machineCpuMs(): { busy: number; idle: number } | undefined {
  let first: string;
  try {
    first = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  } catch {
    return undefined;
  }
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice
  const t = first.trim().split(/\s+/).slice(1, 9).map(Number);
  const idle = t[3]! + t[4]!;
  const busy = t.reduce((a, b) => a + b, 0) - idle;
  return { busy: (busy * 1000) / TICKS_PER_SECOND, idle: (idle * 1000) / TICKS_PER_SECOND };
}
