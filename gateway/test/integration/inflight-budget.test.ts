/**
 * The gateway-wide in-flight budget (--max-inflight-bytes-total) and the per-session one, against
 * the real standalone: writers that want more than the budget are pushed back — their sockets
 * unread — never disconnected, and the bytes the gateway holds unacknowledged never pass the
 * total. A proxy in front of the segment store holds Pravega's acknowledgements back on cue (what
 * the real server cannot be told to do), so the budget fills with real writers' bytes.
 */
import { Serializers, type SluiceClient } from '@sluice/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../../sdk/test/helpers/until.js';
import type { SegmentRef } from '../../src/segmentstore/segment-ref.js';
import type { RunningGateway } from '../../src/server/gateway.js';
import { HoldingProxy } from '../helpers/holding-proxy.js';
import { startTestGateway } from '../helpers/in-process-gateway.js';
import { uniqueName } from '../helpers/names.js';
import { clientFrame as frame, RawClient } from '../helpers/raw-client.js';
import { connectSdk } from '../helpers/sdk.js';

const KiB = 1024;
const MESSAGE = 64 * KiB;
const PER_WRITER = 128 * KiB;
const PER_SESSION = 4 * MESSAGE;
const TOTAL = 512 * KiB;

let gateway: RunningGateway;
let proxy: HoldingProxy | undefined;
let admin: SluiceClient;
const scope = uniqueName('budget');

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gateway.port}/metrics`)).text();
  return Number(new RegExp(`^${name} ([\\d.e+-]+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
}

/** A payload of `size` UTF-8 bytes that starts with its id. */
const payload = (id: string, size: number) => `${id}|${'x'.repeat(size - id.length - 1)}`;

/** Every event of `stream` from head to its tail now, by id. */
async function idsIn(stream: string): Promise<string[]> {
  const { tail } = await admin.streamInfo(stream);
  const ids: string[] = [];
  for await (const ev of admin.reader(stream, { serializer: Serializers.utf8(), from: 'head', to: tail }))
    ids.push(ev.value.slice(0, ev.value.indexOf('|')));
  return ids;
}

beforeAll(async () => {
  gateway = await startTestGateway([
    '--max-message-bytes',
    String(MESSAGE),
    '--max-inflight-bytes',
    String(PER_WRITER),
    '--max-inflight-bytes-per-session',
    String(PER_SESSION),
    '--max-inflight-bytes-total',
    String(TOTAL),
    '--connections-per-second-per-ip',
    '0',
  ]);
  // Every segment-store connection of this gateway goes through the proxy.
  const segments = gateway.context.segments;
  const resolve = segments.endpointFor.bind(segments);
  let proxyPort: Promise<number> | undefined;
  // The standalone has one segment store: one proxy, started by the first connection.
  segments.endpointFor = async (segment: SegmentRef) => {
    const real = await resolve(segment);
    proxy ??= new HoldingProxy(real.host, real.port);
    proxyPort ??= proxy.start();
    return { host: '127.0.0.1', port: await proxyPort };
  };
  admin = await connectSdk(gateway.url, scope);
  await admin.createScope(scope);
}, 60_000);

afterAll(async () => {
  proxy?.release();
  await admin?.close();
  await gateway?.close();
  await proxy?.stop();
});

describe('in-flight budget', () => {
  it('pushes back writers past the budget while Pravega does not acknowledge, closes nothing, and delivers it all once it does', async () => {
    const stream = uniqueName('held');
    await admin.createStream(stream, { scaling: { type: 'fixed', segments: 2 } });
    const { total } = gateway.context.inflight;

    // Six SDK writers (a session each) and one raw session with three writers, all open first.
    const clients = await Promise.all(Array.from({ length: 6 }, () => connectSdk(gateway.url, scope)));
    const states: string[] = [];
    for (const c of clients) c.onStateChange((s) => states.push(s));
    const writers = clients.map((c) => c.writer(stream, { serializer: Serializers.utf8() }));
    await Promise.all(writers.map((w, c) => w.write(payload(`sdk-${c}-open`, 100), `k${c}`)));
    const raw = await RawClient.session(gateway.url);
    for (const channel of [1, 2, 3]) {
      raw.send(
        frame({
          kind: { case: 'openWriter', value: { channel, stream: `${scope}/${stream}`, writerId: `raw-${channel}` } },
        }),
      );
      await raw.until((f) => f.kind.case === 'writerOpened' && f.kind.value.channel === channel);
    }
    const pushBacksBefore = await metric('sluice_push_backs_total');

    proxy!.hold();
    // The SDK writers want 6 × 128 KiB = 768 KiB: more than the 512 KiB total.
    const writes = writers.flatMap((w, c) =>
      Array.from({ length: 64 }, (_, i) => w.write(payload(`sdk-${c}-${i}`, 4 * KiB), `k${c}-${i % 8}`)),
    );
    let settled = 0;
    for (const p of writes) void p.then(() => settled++);
    // The raw session sends 5 frames of 60,000 bytes (~293 KiB): past its own 256 KiB at the latest.
    const rawIds: string[] = [];
    const sequences = new Map([
      [1, 0],
      [2, 0],
      [3, 0],
    ]);
    for (const channel of [1, 2, 1, 2, 3]) {
      const first = sequences.get(channel)! + 1;
      const events = Array.from({ length: 15 }, (_, i) => {
        const id = `raw-${channel}-${first + i}`;
        rawIds.push(id);
        return { payload: new TextEncoder().encode(payload(id, 4_000)), routingKey: id };
      });
      sequences.set(channel, first + events.length - 1);
      raw.send(frame({ kind: { case: 'append', value: { channel, firstSequence: BigInt(first), events } } }));
    }
    raw.send(frame({ kind: { case: 'ping', value: { nonce: 99n } } }));

    // Pushed back: the raw session hears keep-alive Pongs it never asked for, three of them.
    await until(() => raw.frames.filter((f) => f.kind.case === 'pong' && f.kind.value.nonce === 0n).length >= 3, 20);
    expect(gateway.context.inflight.waitingSessions).toBeGreaterThanOrEqual(1);
    expect(await metric('sluice_pushed_back_sessions')).toBeGreaterThanOrEqual(1);
    expect(total.used).toBeGreaterThan(0);
    expect(total.used).toBeLessThanOrEqual(TOTAL);
    expect(settled).toBe(0); // nothing acknowledged: Pravega's answers are held
    expect(raw.closeCode).toBeUndefined();

    proxy!.release();
    await Promise.all(writes);
    for (const [channel, through] of sequences) {
      await raw.until(
        (f) =>
          f.kind.case === 'acked' &&
          f.kind.value.channel === channel &&
          f.kind.value.throughSequence === BigInt(through),
      );
    }
    // The ping sent while the socket was unread is answered once it is read again.
    await raw.until((f) => f.kind.case === 'pong' && f.kind.value.nonce === 99n);
    await until(() => total.used === 0, 20);
    expect(total.peak).toBeLessThanOrEqual(TOTAL);
    expect(total.peak).toBeGreaterThan(PER_SESSION);
    expect(await metric('sluice_push_backs_total')).toBeGreaterThan(pushBacksBefore);
    expect(await metric('sluice_pushed_back_seconds_total')).toBeGreaterThan(0);
    expect(await metric('sluice_pushed_back_sessions')).toBe(0);
    expect(await metric('sluice_inflight_held_bytes')).toBe(0);
    expect(await metric('sluice_inflight_bytes')).toBe(0);
    expect(states).toEqual([]); // no SDK client lost its connection
    expect(raw.closeCode).toBeUndefined();

    const ids = await idsIn(stream);
    const expected = [
      ...writers.flatMap((_, c) => [`sdk-${c}-open`, ...Array.from({ length: 64 }, (_, i) => `sdk-${c}-${i}`)]),
      ...rawIds,
    ];
    expect(ids.length).toBe(expected.length);
    expect(new Set(ids)).toEqual(new Set(expected));
    raw.terminate();
    await Promise.all(clients.map((c) => c.close()));
  }, 120_000);

  it('holds the total under many writers at full speed, and loses or duplicates nothing', async () => {
    const stream = uniqueName('load');
    await admin.createStream(stream, { scaling: { type: 'fixed', segments: 4 } });
    const { total } = gateway.context.inflight;
    const closedBefore = await metric('sluice_sessions_closed_by_gateway_total');
    const clients = await Promise.all(Array.from({ length: 12 }, () => connectSdk(gateway.url, scope)));
    const states: string[] = [];
    for (const c of clients) c.onStateChange((s) => states.push(s));
    const EVENTS = 150;
    // 12 writers of 128 KiB windows want 1.5 MiB in flight; the gateway holds at most 512 KiB.
    await Promise.all(
      clients.map(async (c, n) => {
        const w = c.writer(stream, { serializer: Serializers.utf8() });
        await Promise.all(
          Array.from({ length: EVENTS }, (_, i) => w.write(payload(`w${n}-${i}`, 8 * KiB), `k${i % 16}`)),
        );
        await w.close();
      }),
    );
    await until(() => total.used === 0, 20);
    expect(total.peak).toBeLessThanOrEqual(TOTAL);
    expect(states).toEqual([]);
    expect(await metric('sluice_sessions_closed_by_gateway_total')).toBe(closedBefore);
    const ids = await idsIn(stream);
    expect(ids.length).toBe(12 * EVENTS);
    expect(new Set(ids).size).toBe(12 * EVENTS);
    console.log(
      `in-flight peak ${total.peak} of ${TOTAL} bytes; push-backs ${await metric('sluice_push_backs_total')}, ${(await metric('sluice_pushed_back_seconds_total')).toFixed(2)} s pushed back in all`,
    );
    await Promise.all(clients.map((c) => c.close()));
  }, 120_000);
});
