/**
 * Fails a test file that leaves an SDK socket or timer behind. The SDK takes both from its
 * caller (`connect({ WebSocket, timers })`); these record what it creates, and a per-file
 * `afterAll` checks that every socket closed and every timer was cleared or fired. Nothing
 * global is patched.
 *
 *   const sdk = useSdkResourceCheck();   // first in the file: its afterAll then runs last
 *   const client = await connect({ url, ...sdk.options });
 */
import { type Timers, type WebSocketConstructor, type WebSocketLike, wsConstructor } from '@sluice/sdk';
import { afterAll } from 'vitest';
import WebSocket from 'ws';

const CLOSED = 3;
/** How long the check waits for sockets still closing (their close handshake) before it fails. */
const SOCKET_CLOSE_WAIT_MS = 5_000;

interface TrackedTimer {
  readonly kind: 'timeout' | 'interval';
  readonly ms: number;
  readonly stack: string;
}

export interface SdkResources {
  /** What to pass to connect(). */
  readonly options: { WebSocket: WebSocketConstructor; timers: Timers };
  /** Another WebSocket constructor whose sockets are tracked here too (a test's own wrapper). */
  track(base: WebSocketConstructor): WebSocketConstructor;
  /** Every socket the SDK opened, in order. */
  readonly sockets: WebSocketLike[];
  /** The delay of every timer the SDK set, in order (for tests of the backoff). */
  readonly delays: Array<{ kind: 'timeout' | 'interval'; ms: number }>;
  /** Sockets not closed yet. */
  openSockets(): WebSocketLike[];
  /** Timers neither cleared nor (timeouts) fired, with where they were set. */
  pendingTimers(): TrackedTimer[];
  /** Waits until every socket has closed (resolves false if some did not within `ms`). */
  socketsClosed(ms?: number): Promise<boolean>;
}

export function trackSdkResources(base: WebSocketConstructor = wsConstructor(WebSocket)): SdkResources {
  const sockets: WebSocketLike[] = [];
  const closeWaiters = new Set<() => void>();
  const pending = new Map<unknown, TrackedTimer>();
  const delays: Array<{ kind: 'timeout' | 'interval'; ms: number }> = [];
  const track = (Base: WebSocketConstructor) =>
    function TrackedWebSocket(url: string, protocols?: string | string[]) {
      const socket = new Base(url, protocols);
      sockets.push(socket);
      // `ws` sockets are EventTargets too: a listener the SDK's on* handlers do not replace.
      (socket as unknown as EventTarget).addEventListener('close', () => {
        for (const wake of closeWaiters) wake();
      });
      return socket;
    } as unknown as WebSocketConstructor;
  const record = (kind: 'timeout' | 'interval', ms: number, handle: unknown) => {
    delays.push({ kind, ms });
    pending.set(handle, { kind, ms, stack: new Error('set here').stack ?? '' });
    return handle;
  };
  const timers: Timers = {
    setTimeout: (fn, ms) => {
      const handle: unknown = setTimeout(() => {
        pending.delete(handle);
        fn();
      }, ms);
      return record('timeout', ms, handle);
    },
    clearTimeout: (h) => {
      pending.delete(h);
      clearTimeout(h as NodeJS.Timeout);
    },
    setInterval: (fn, ms) => record('interval', ms, setInterval(fn, ms)),
    clearInterval: (h) => {
      pending.delete(h);
      clearInterval(h as NodeJS.Timeout);
    },
  };
  const openSockets = () => sockets.filter((s) => s.readyState !== CLOSED);
  return {
    options: { WebSocket: track(base), timers },
    track,
    sockets,
    delays,
    openSockets,
    pendingTimers: () => [...pending.values()],
    socketsClosed(ms = SOCKET_CLOSE_WAIT_MS) {
      return new Promise<boolean>((resolve) => {
        const check = () => {
          if (openSockets().length > 0) return;
          finish(true);
        };
        const finish = (ok: boolean) => {
          clearTimeout(deadline);
          closeWaiters.delete(check);
          resolve(ok);
        };
        const deadline = setTimeout(() => finish(openSockets().length === 0), ms);
        closeWaiters.add(check);
        check();
      });
    },
  };
}

/**
 * Tracks the SDK's sockets and timers for this file and fails it if any is left at its end.
 * Call it before the file's other hooks, so that its `afterAll` runs after theirs.
 */
export function useSdkResourceCheck(base?: WebSocketConstructor): SdkResources {
  const resources = trackSdkResources(base);
  afterAll(async () => {
    const closed = await resources.socketsClosed();
    const timers = resources.pendingTimers();
    const problems: string[] = [];
    if (!closed) problems.push(`${resources.openSockets().length} SDK socket(s) still open`);
    for (const t of timers)
      problems.push(
        `an SDK ${t.kind} of ${t.ms} ms still pending, set at\n${t.stack.split('\n').slice(2, 8).join('\n')}`,
      );
    if (problems.length > 0) throw new Error(`this file leaves SDK resources behind:\n${problems.join('\n')}`);
  });
  return resources;
}
