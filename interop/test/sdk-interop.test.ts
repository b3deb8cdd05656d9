/**
 * Interoperability with Pravega's own Java client (io.pravega:pravega-client 0.13.0), all against
 * the real standalone: what the SDK writes Java reads, and the reverse; routing keys land on the
 * segments Java's writer picks; a gateway SIGKILLed mid-write loses and duplicates nothing.
 */
import { Serializers } from '@sluice/sdk';
import { describe, expect, it } from 'vitest';
import { ControllerClient } from '../../gateway/src/controller/controller-client.js';
import { SegmentMap } from '../../gateway/src/streams/routing.js';
import { uniqueName } from '../../gateway/test/helpers/names.js';
import { connectSdk } from '../../gateway/test/helpers/sdk.js';
import { useGatewayProcess } from '../../gateway/test/helpers/setup.js';
import { javaPeer, streamArgs } from './java-peer.js';

const controller = () => process.env.PRAVEGA_CONTROLLER_URI ?? 'tcp://127.0.0.1:9090';
const fx = useGatewayProcess('interop');
const { scope } = fx;

interface JavaEvent {
  payload: string;
  hex: string;
}

function javaEvents(lines: Array<Record<string, unknown>>): JavaEvent[] {
  return lines.filter((l) => typeof l.payload === 'string') as unknown as JavaEvent[];
}

function expectPerKeyOrder(values: string[]): void {
  const last = new Map<string, number>();
  for (const v of values) {
    const [, key, seq] = v.split('|') as [string, string, string];
    expect(Number(seq)).toBeGreaterThan(last.get(key) ?? -1);
    last.set(key, Number(seq));
  }
}

describe('SDK ↔ Java client', () => {
  it('Java reads every one of 10,000 events the SDK wrote, same bytes, per-key order', async () => {
    const stream = uniqueName('sdk2java');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 4 } });
    const writer = fx.client.writer(stream, { serializer: Serializers.utf8() });
    const sent: string[] = [];
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 10_000; i++) {
      const key = `key-${i % 100}`;
      const value = `sdk|${key}|${i}|ünï-😀`;
      sent.push(value);
      writes.push(writer.write(value, key));
    }
    await Promise.all(writes);
    await writer.close();

    const lines = await javaPeer(['read', ...streamArgs(scope, stream), '--expect', '10000'], {
      timeoutMs: 180_000,
    });
    const events = javaEvents(lines);
    expect(events).toHaveLength(10_000);
    for (const e of events) expect(Buffer.from(e.hex, 'hex').toString('utf8')).toBe(e.payload);
    expect(events.map((e) => e.payload).sort()).toEqual([...sent].sort());
    expectPerKeyOrder(events.map((e) => e.payload));
  });

  it('the SDK reads every one of 10,000 events Java wrote', async () => {
    const stream = uniqueName('java2sdk');
    await javaPeer(['create-stream', ...streamArgs(scope, stream), '--segments', '4']);
    const written = await javaPeer([
      'write',
      ...streamArgs(scope, stream),
      '--count',
      '10000',
      '--keys',
      '100',
      '--prefix',
      'java',
    ]);
    expect(written.at(-1)).toMatchObject({ written: 10_000 });

    const reader = fx.client.reader(stream, { serializer: Serializers.utf8(), from: 'head' });
    const got: string[] = [];
    for await (const ev of reader) {
      got.push(ev.value);
      if (got.length === 10_000) break;
    }
    await reader.close();
    const expected = Array.from({ length: 10_000 }, (_, i) => `java|key-${i % 100}|${i}`);
    expect([...got].sort()).toEqual([...expected].sort());
    expectPerKeyOrder(got);
  });

  it('routes 10,000 random keys to the same segments as Java', async () => {
    const stream = uniqueName('route');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 7 } });
    const lines = await javaPeer(['route', ...streamArgs(scope, stream), '--count', '10000', '--seed', '42']);
    const routed = lines as Array<{ key: string; segmentId: string }>;
    expect(routed).toHaveLength(10_000);
    const pravega = new ControllerClient({ uri: controller() });
    const { segments } = await pravega.getCurrentSegments(scope, stream);
    await pravega.close();
    const map = new SegmentMap(segments);
    const mismatches = routed.filter((r) => map.segmentForKey(r.key).segmentId !== BigInt(r.segmentId));
    expect(mismatches).toEqual([]);
    expect(new Set(routed.map((r) => r.segmentId)).size).toBe(7);
  });
});

describe('gateway crashes', () => {
  it('loses and duplicates nothing when the gateway is SIGKILLed 3 times during 100,000 writes', async () => {
    const stream = uniqueName('kill');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 4 } });
    const writerClient = await connectSdk(fx.gateway.url, scope);
    const writer = writerClient.writer(stream, { serializer: Serializers.utf8(), writerId: uniqueName('w') });
    const total = 100_000;
    const writes: Promise<void>[] = [];
    let acknowledged = 0;
    const unacknowledgedAtKill: number[] = [];
    let kills = 0;
    let killAt = -1;
    for (let i = 0; i < total; i++) {
      const key = `key-${i % 50}`;
      writes.push(writer.write(`kill|${key}|${i}`, key).then(() => void acknowledged++));
      if (i > 0 && i % 25_000 === 0 && kills < 3) {
        // Let some of it reach Pravega first…
        await writes[i - 5_000];
        killAt = i + 1_000;
      } else if (i === killAt) {
        // …then crash right after 1,000 more writes were issued: those are certainly unacknowledged.
        unacknowledgedAtKill.push(i + 1 - acknowledged);
        await fx.gateway.kill();
        kills++;
        await fx.gateway.start();
      } else if (i % 1_000 === 0) {
        await writes[Math.max(0, i - 20_000)];
      }
    }
    await Promise.all(writes);
    await writer.close();
    await writerClient.close();
    expect(kills).toBe(3);
    // Each crash hit writes in flight: they had to be resent and de-duplicated.
    for (const n of unacknowledgedAtKill) expect(n).toBeGreaterThan(0);

    const lines = await javaPeer(
      ['read', ...streamArgs(scope, stream), '--expect', String(total), '--timeout-ms', '30000'],
      {
        timeoutMs: 300_000,
      },
    );
    const payloads = javaEvents(lines).map((e) => e.payload);
    const counts = new Map<string, number>();
    for (const p of payloads) counts.set(p, (counts.get(p) ?? 0) + 1);
    const duplicates = [...counts].filter(([, n]) => n > 1);
    const missing = Array.from({ length: total }, (_, i) => `kill|key-${i % 50}|${i}`).filter((p) => !counts.has(p));
    expect(duplicates).toEqual([]);
    expect(missing).toEqual([]);
    expect(payloads).toHaveLength(total);
    expectPerKeyOrder(payloads);
  });
});
