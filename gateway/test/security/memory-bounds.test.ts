/**
 * Memory stays bounded under abuse, measured on one gateway process (its RSS from /proc):
 * a 9 MiB message (closed 1009), floods of tiny WebSocket fragments (closed 1008), and 100
 * readers that grant all the credit there is and never read their socket, next to 100 normal
 * readers of the same busy stream. The stuck readers are offered over 1 GiB; the gateway holds
 * each at its socket's high-water mark, closes them as slow consumers (4003) after
 * --slow-consumer-ms, and its peak RSS stays within base + what the design allows (~419 MiB, far
 * below the 1.2 GiB offered: see BOUND). The normal readers get every
 * event and no one else is closed. Prints the peak.
 */
import { readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { Serializers, type SluiceClient } from '@sluice/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../../sdk/test/helpers/until.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { controllerUri } from '../helpers/in-process-gateway.js';
import { uniqueName } from '../helpers/names.js';
import { clientFrame, RawClient } from '../helpers/raw-client.js';
import { connectSdk } from '../helpers/sdk.js';

const MiB = 1024 * 1024;
const HIGH_WATER = 512 * 1024;
const EVENT_BYTES = 8 * 1024;
const PREWRITTEN = 1_536; // 12 MiB before the readers open
const MORE = 512; // 4 MiB while they read
const STUCK = 100;
const NORMAL = 100;
const SEGMENTS = 2;
/**
 * What the design lets the gateway hold: per stuck reader its socket up to the high-water mark,
 * one slice of lent credit (reader-channel.ts, 256 KiB) and one Pravega read reply queued per
 * segment when it reads on its own (a read asks for the credit held; 1 MiB is its cap); the shared-tail rings, at most the whole stream here; and
 * 128 MiB for the runtime (garbage not yet collected, the young generation) and the normal
 * readers. ~419 MiB: far below the 1.2 GiB offered (without the credit gate: +1,080 MiB). The
 * peaks measured on the 2-core machine ranged +79 to +337 MiB with the same code (the top one
 * under a full CI run), so the 256 MiB asserted before sat below the design's own worst case.
 */
const BOUND = STUCK * (HIGH_WATER + 256 * 1024 + SEGMENTS * MiB) + (PREWRITTEN + MORE) * EVENT_BYTES + 128 * MiB;

const scope = uniqueName('mem');
let gateway: GatewayProcess;
let admin: SluiceClient;

function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gateway.port}/metrics`)).text();
  const escaped = name.replace(/[{}"]/g, (c) => `\\${c}`);
  return Number(new RegExp(`^${escaped} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
}

const slowConsumerCloses = () => metric('sluice_sessions_closed_by_gateway_total{reason="slow consumer"}');

/** A raw TCP WebSocket client: upgrade, then whatever frames the test writes by hand. */
async function rawTcp(
  port: number,
): Promise<{ write(b: Buffer): boolean; received: () => Buffer; ended: Promise<void> }> {
  const socket = tcpConnect(port, '127.0.0.1');
  let data = Buffer.alloc(0);
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  socket.on('data', (d: Buffer) => {
    data = Buffer.concat([data, d]);
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(
    'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sluice.v1\r\n\r\n',
  );
  while (!data.includes('\r\n\r\n')) await new Promise((r) => setTimeout(r, 10));
  expect(data.toString('latin1')).toMatch(/^HTTP\/1\.1 101/);
  data = data.subarray(data.indexOf('\r\n\r\n') + 4);
  return { write: (b) => socket.write(b), received: () => data, ended };
}

/** A masked client frame (mask 0: the payload goes as is). */
function wsFrame(fin: boolean, opcode: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}

beforeAll(async () => {
  gateway = await GatewayProcess.start([
    '--controller',
    controllerUri(),
    '--connections-per-second-per-ip',
    '0',
    '--send-high-water-bytes',
    String(HIGH_WATER),
    '--slow-consumer-ms',
    '10000',
  ]);
  admin = await connectSdk(gateway.url, scope);
  await admin.createScope(scope);
  await admin.createStream('busy', { scaling: { type: 'fixed', segments: SEGMENTS } });
}, 120_000);

afterAll(async () => {
  await admin?.close();
  await gateway?.stop();
});

describe('memory bounds (one gateway process)', () => {
  it('closes a 9 MiB message with 1009, and only that socket', async () => {
    const bystander = await RawClient.session(gateway.url);
    const big = await RawClient.session(gateway.url);
    big.send(new Uint8Array(9 * MiB));
    expect(await big.closed).toBe(1009);
    await bystander.ping(9n);
    bystander.terminate();
  });

  it('closes floods of tiny fragments with 1008 without buffering them', async () => {
    const before = memory(gateway.pid!).rss;
    // 20 sockets, each one message in 1-byte (or empty) fragments, never finished.
    const floods = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const c = await rawTcp(gateway.port);
        const fragment = wsFrame(false, 0, Buffer.from(i % 2 ? [1] : []));
        const chunk = Buffer.concat([wsFrame(false, 2, Buffer.from([1])), ...Array(50_000).fill(fragment)]);
        c.write(chunk);
        await c.ended;
        return c.received();
      }),
    );
    for (const received of floods) {
      // The gateway's close frame: opcode 8, code 1008 (policy violation: too many fragments).
      expect(received[0]).toBe(0x88);
      expect(received.readUInt16BE(2)).toBe(1008);
    }
    const after = memory(gateway.pid!).rss;
    console.log(`fragment floods: 20 × 50,000 fragments → all closed 1008; gateway RSS ${mib(before)} → ${mib(after)}`);
  });

  it('holds 100 never-reading readers at the high-water mark and closes them; 100 normal readers get everything', async () => {
    const writer = admin.writer('busy', { serializer: Serializers.bytes() });
    const event = (i: number) => {
      const b = new Uint8Array(EVENT_BYTES);
      new DataView(b.buffer).setUint32(0, i);
      return b;
    };
    for (let i = 0; i < PREWRITTEN; i += 64) {
      await Promise.all(Array.from({ length: 64 }, (_, j) => writer.write(event(i + j), String((i + j) % 16))));
    }
    const base = memory(gateway.pid!);
    const closedBefore = await slowConsumerCloses();

    // The stuck: all the credit the protocol allows, from the head, and not one byte read.
    const stuck = await Promise.all(
      Array.from({ length: STUCK }, async () => {
        const c = await RawClient.session(gateway.url);
        c.send(
          clientFrame({
            kind: {
              case: 'openReader',
              value: {
                channel: 1,
                streams: [`${scope}/busy`],
                start: { case: 'head', value: true },
                initialCreditEvents: 0xffffffff,
                initialCreditBytes: 0xffffffff,
              },
            },
          }),
        );
        c.stopReading();
        return c;
      }),
    );

    // The normal: 100 readers on 10 SDK clients, from the head, while the writer keeps writing.
    const total = PREWRITTEN + MORE;
    let delivered = 0;
    const progress = setInterval(() => {
      void slowConsumerCloses().then((closes) =>
        console.log(
          `progress: ${delivered} of ${NORMAL * total} events to normal readers, ${closes - closedBefore} slow-consumer closes, RSS ${mib(memory(gateway.pid!).rss)}`,
        ),
      );
    }, 10_000);
    const clients = await Promise.all(Array.from({ length: NORMAL / 10 }, () => connectSdk(gateway.url, scope)));
    const reading = clients.flatMap((client) =>
      Array.from({ length: 10 }, async () => {
        const seen = new Uint8Array(total);
        let count = 0;
        const reader = client.reader('busy', { serializer: Serializers.bytes(), from: 'head' });
        for await (const ev of reader) {
          const i = new DataView(ev.value.buffer, ev.value.byteOffset).getUint32(0);
          if (seen[i] === 0) {
            count++;
            delivered++;
          }
          seen[i] = 1;
          if (count === total) break;
        }
        await reader.close();
        return count;
      }),
    );
    for (let i = PREWRITTEN; i < total; i += 64) {
      await Promise.all(Array.from({ length: 64 }, (_, j) => writer.write(event(i + j), String((i + j) % 16))));
    }
    const counts = await Promise.all(reading);
    expect(counts).toEqual(Array(NORMAL).fill(total));

    // Every stuck reader is closed as a slow consumer — and no one else.
    await until(async () => (await slowConsumerCloses()) - closedBefore >= STUCK, 200);
    clearInterval(progress);
    const { peak } = memory(gateway.pid!);
    const offered = STUCK * PREWRITTEN * EVENT_BYTES;
    console.log(
      `memory: base RSS ${mib(base.rss)}, peak RSS ${mib(peak)} (+${mib(peak - base.rss)}; bound +${mib(BOUND)}) ` +
        `while ${STUCK} stuck readers were offered ${mib(offered)} and ${NORMAL} normal readers read ${total} events each`,
    );
    expect((await slowConsumerCloses()) - closedBefore).toBe(STUCK);
    expect(await metric('sluice_sessions')).toBe(1 + clients.length);
    for (const c of stuck) c.terminate();
    expect(offered).toBeGreaterThan(1024 * MiB);
    expect(peak - base.rss).toBeLessThan(BOUND);
    for (const c of clients) await c.close();
  }, 600_000);
});

function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(0)} MiB`;
}
