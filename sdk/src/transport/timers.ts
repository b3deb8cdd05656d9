/**
 * Where the SDK's timers come from. Every timer the SDK sets goes through one `Timers` (the
 * connection's), so that tests can pass one that records them and fail a file that leaves one
 * behind (sdk/test/helpers/sdk-resources.ts), and a runtime with its own scheduler can pass its own.
 */
import { SluiceError } from '../errors.js';

export type TimerHandle = unknown;

export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
}

type GlobalTimers = {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
};

/** The runtime's own timers (looked up at each call, so fake timers in tests apply). */
export const systemTimers: Timers = {
  setTimeout: (fn, ms) => (globalThis as unknown as GlobalTimers).setTimeout(fn, ms),
  clearTimeout: (h) => (globalThis as unknown as GlobalTimers).clearTimeout(h),
  setInterval: (fn, ms) => (globalThis as unknown as GlobalTimers).setInterval(fn, ms),
  clearInterval: (h) => (globalThis as unknown as GlobalTimers).clearInterval(h),
};

/** Lets a timer not keep a Node process alive (a no-op elsewhere). */
export function unref(handle: TimerHandle): void {
  (handle as { unref?: () => void } | undefined)?.unref?.();
}

/** The error an aborted call rejects with. */
export function cancelled(signal: AbortSignal | undefined, what = 'the call'): SluiceError {
  const reason = signal?.reason;
  if (reason instanceof SluiceError) return reason;
  return new SluiceError('cancelled', `${what} was aborted`, reason === undefined ? {} : { cause: reason });
}

/**
 * Resolves after `ms`, or rejects with `cancelled` as soon as `signal` aborts; the timer and the
 * listener are gone either way.
 */
export function sleep(timers: Timers, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(cancelled(signal, 'the wait'));
      return;
    }
    const onAbort = () => {
      timers.clearTimeout(handle);
      reject(cancelled(signal, 'the wait'));
    };
    const handle = timers.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * `promise`, or a rejection with `cancelled` as soon as `signal` aborts (the work itself goes on:
 * use this only where stopping to wait is all an abort can mean).
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, what?: string): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(cancelled(signal, what));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelled(signal, what));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
