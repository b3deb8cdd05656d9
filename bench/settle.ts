/**
 * Waits until a process is (nearly) idle. A segment store keeps working after the last write of a
 * phase was acknowledged — its storage writer flushes to tier 2, its collector frees the history —
 * and that work landed in whichever phase ran next: a Sluice phase that followed Java's at once
 * paid for Java's writes, while a Java phase spent its JVM's start-up letting the store finish
 * ours. Each timed phase now starts on a quiet store.
 */
import { processCpuMs } from './proc-cpu.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface SettleResult {
  /** How long it waited (ms). */
  waitedMs: number;
  /** False if it was still busy at the deadline (or CPU time cannot be read here). */
  settled: boolean;
  /** CPU ms per ms the process used over the last window (its idle rate once settled). */
  share: number;
}

/**
 * Resolves once `pid` used less than `maxShare` of one core over a whole `windowMs`, or after
 * `timeoutMs`. Without /proc (not Linux) it returns at once, unsettled.
 */
export async function settle(
  pid: number,
  { maxShare = 0.15, windowMs = 1_000, timeoutMs = 30_000 } = {},
): Promise<SettleResult> {
  const start = performance.now();
  let before = processCpuMs(pid);
  if (before === undefined) return { waitedMs: 0, settled: false, share: 0 };
  let share = 0;
  while (performance.now() - start < timeoutMs) {
    await sleep(windowMs);
    const now = processCpuMs(pid);
    if (now === undefined) break;
    share = (now - before) / windowMs;
    before = now;
    if (share < maxShare) return { waitedMs: performance.now() - start, settled: true, share };
  }
  return { waitedMs: performance.now() - start, settled: false, share };
}
