/**
 * The connection state machine driven by real sockets, against servers that do on cue what the
 * real gateway does rarely: close every socket right after the upgrade, refuse the Hello (1002),
 * refuse the token (4001), go away. (The same against the real gateway: gateway/test/
 * integration/sdk-lifecycle.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type SluiceClient } from '../src/index.js';
import { FakeGateway } from './fake-gateway.js';
import { useSdkResourceCheck } from './helpers/sdk-resources.js';

const sdk = useSdkResourceCheck();
const gateways: FakeGateway[] = [];
const clients: SluiceClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const g of gateways.splice(0)) await g.close();
});

async function gateway(): Promise<FakeGateway> {
  const g = await FakeGateway.start();
  gateways.push(g);
  return g;
}

async function client(url: string, reconnect: { baseMs?: number; maxMs?: number; maxAttempts?: number } = {}) {
  const c = await connect({ url, reconnect, ...sdk.options });
  clients.push(c);
  return c;
}

/** Resolves when `check` holds, looking again at every state change of the client. */
function whenState(c: SluiceClient, state: string): Promise<void> {
  return new Promise((resolve) => {
    if (c.state === state) return resolve();
    const stop = c.onStateChange((s) => {
      if (s !== state) return;
      stop();
      resolve();
    });
  });
}

const WINDOW_MS = 10_000;

describe('a server that closes every socket right after the upgrade', () => {
  it('gets one attempt at a time with a growing backoff: about 9 connections in 10 s, first connect and reconnect alike', async () => {
    const [first, later] = [await gateway(), await gateway()];
    first.policy = () => 'close-after-upgrade';
    // The second welcomes once, then closes every later socket right after the upgrade.
    later.policy = (n) => (n === 1 ? 'welcome' : 'close-after-upgrade');
    const live = await client(later.url, { maxAttempts: 1_000 });
    const aborter = new AbortController();
    const connecting = connect({
      url: first.url,
      reconnect: { maxAttempts: 1_000 },
      signal: aborter.signal,
      ...sdk.options,
    });
    const states: string[] = [];
    live.onStateChange((s) => states.push(s));
    later.drop();
    // The window is the measurement (connections per 10 s), not an assertion about time.
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    aborter.abort();
    await expect(connecting).rejects.toMatchObject({ code: 'cancelled' });
    const reconnects = later.connections - 1;
    console.log(
      `[storm] connections in ${WINDOW_MS / 1000} s: first connect ${first.connections}, reconnect ${reconnects} (before: 916)`,
    );
    expect(first.connections).toBeGreaterThanOrEqual(2);
    expect(first.connections).toBeLessThanOrEqual(15);
    expect(reconnects).toBeGreaterThanOrEqual(2);
    expect(reconnects).toBeLessThanOrEqual(15);
    expect(states).toEqual(['reconnecting']);
  });
});

describe('the first connect', () => {
  it('honours maxAttempts, then rejects with unavailable', async () => {
    const g = await gateway();
    g.policy = () => 'close-after-upgrade';
    const error = await connect({
      url: g.url,
      reconnect: { baseMs: 1, maxMs: 5, maxAttempts: 4 },
      ...sdk.options,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'unavailable', message: /gave up after 4 failed attempts/ });
    expect(g.connections).toBe(4);
  });

  it('makes 3 attempts by default', async () => {
    const g = await gateway();
    g.policy = () => 'close-after-upgrade';
    await expect(connect({ url: g.url, reconnect: { baseMs: 1, maxMs: 5 }, ...sdk.options })).rejects.toMatchObject({
      code: 'unavailable',
    });
    expect(g.connections).toBe(3);
  });

  it('fails at once with protocol when the gateway refuses the Hello (1002), without retrying', async () => {
    const g = await gateway();
    g.policy = () => ({ code: 1002, reason: 'protocol version 2 is not supported (3 is)' });
    const error = await connect({ url: g.url, reconnect: { baseMs: 1, maxAttempts: 10 }, ...sdk.options }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'protocol', message: /refused the handshake.*version 2 is not supported/ });
    expect(g.connections).toBe(1);
  });

  it('fails at once with unauthenticated when the gateway refuses the token (4001), without retrying', async () => {
    const g = await gateway();
    g.policy = () => ({ code: 4001, reason: 'unauthenticated: signature verification failed' });
    await expect(
      connect({ url: g.url, token: 'not-a-valid-token', reconnect: { baseMs: 1, maxAttempts: 10 }, ...sdk.options }),
    ).rejects.toMatchObject({ code: 'unauthenticated', message: /signature verification failed/ });
    expect(g.connections).toBe(1);
  });

  it('rejects with cancelled when its signal aborts while it waits', async () => {
    const g = await gateway();
    g.policy = () => 'close-after-upgrade';
    const aborter = new AbortController();
    const connecting = connect({
      url: g.url,
      reconnect: { baseMs: 60_000, maxMs: 60_000, maxAttempts: 100 },
      signal: aborter.signal,
      ...sdk.options,
    });
    while (g.connections < 1) await new Promise((r) => setTimeout(r, 5));
    aborter.abort();
    await expect(connecting).rejects.toMatchObject({ code: 'cancelled' });
  });
});

describe('a live client', () => {
  it('reconnects at once when the gateway says it is going away', async () => {
    const g = await gateway();
    // A backoff of up to a minute: only the going-away path reconnects without it.
    const c = await client(g.url, { baseMs: 60_000, maxMs: 60_000 });
    const armedBefore = sdk.delays.length;
    g.goAway();
    await whenState(c, 'reconnecting');
    await whenState(c, 'live');
    expect(g.connections).toBe(2);
    const armed = sdk.delays.slice(armedBefore).filter((d) => d.kind === 'timeout');
    expect(armed.map((d) => d.ms)).toContain(0);
    expect(armed.filter((d) => d.ms > 0 && d.ms <= 60_000 && d.ms !== 10_000)).toEqual([]);
  });

  it('gives up after maxAttempts failed reconnects and says why', async () => {
    const g = await gateway();
    g.policy = (n) => (n === 1 ? 'welcome' : 'close-after-upgrade');
    const c = await client(g.url, { baseMs: 1, maxMs: 5, maxAttempts: 3 });
    const closed = new Promise<unknown>((resolve) => c.onStateChange((s, e) => s === 'closed' && resolve(e)));
    g.drop();
    expect(await closed).toMatchObject({ code: 'unavailable', message: /gave up after 3 failed attempts/ });
    expect(g.connections).toBe(4);
    await expect(c.listScopes()).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('ends its session for good when the reconnect is refused its token (4001)', async () => {
    const g = await gateway();
    g.policy = (n) =>
      n === 1 ? 'welcome' : { code: 4001, reason: 'unauthenticated: "exp" claim timestamp check failed' };
    const c = await connect({
      url: g.url,
      token: 'expired-by-now',
      reconnect: { baseMs: 1, maxMs: 5 },
      ...sdk.options,
    });
    clients.push(c);
    const closed = new Promise<unknown>((resolve) => c.onStateChange((s, e) => s === 'closed' && resolve(e)));
    g.drop();
    expect(await closed).toMatchObject({ code: 'unauthenticated' });
    expect(g.connections).toBe(2);
  });
});
