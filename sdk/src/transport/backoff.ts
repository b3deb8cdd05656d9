/** Full-jitter exponential backoff: a uniformly random delay in [0, min(max, base · 2^attempt)). */
export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
}

export function backoffDelay(attempt: number, opts: BackoffOptions = {}, random: () => number = Math.random): number {
  const base = opts.baseMs ?? 100;
  const max = opts.maxMs ?? 10_000;
  return Math.floor(random() * Math.min(max, base * 2 ** Math.min(attempt, 30)));
}
