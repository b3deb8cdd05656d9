/**
 * Fault scenarios with the checker, against a private Pravega standalone whose segment store is
 * reached through a fault proxy (it publishes the proxy's port):
 * - R4: connections between gateway and segment store cut, delayed (0–200 ms) and fragmented to
 *   one byte while 4 writers write;
 * - R5: Pravega paused with SIGSTOP while writing: nothing is acknowledged during the pause, and
 *   everything completes after it;
 * - R1: the gateway (a child process) SIGKILLed and restarted during at-least-once writes from 16
 *   writers (SLUICE_R1_KILLS kills, 3 by default);
 * - R7: Pravega SIGKILLed: every write, commit and admin call in flight ends as an error or
 *   unknown, never as success.
 * No acknowledged event may be lost, duplicated or reordered within its key.
 */
import { type EventWriter, Serializers, type SluiceClient } from '@sluice/sdk';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningPravega, startPravega } from '../../../scripts/pravega-lib.mjs';
import { loadConfig } from '../../src/server/config.js';
import { type RunningGateway, startGateway } from '../../src/server/gateway.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { uniqueName } from '../helpers/names.js';
import { connectSdk } from '../helpers/sdk.js';
import { check } from './checker.js';
import { FaultProxy } from './fault-proxy.js';

const CONTROLLER = 19290;
const LISTEN = 22545;
const PUBLISHED = 22546;
let pravega: RunningPravega;
let proxy: FaultProxy;
let gateway: RunningGateway;
let client: SluiceClient;
const scope = uniqueName('faults');

beforeAll(async () => {
  proxy = new FaultProxy(LISTEN);
  await proxy.start(PUBLISHED);
  pravega = await startPravega({
    name: 'faults',
    controllerPort: CONTROLLER,
    segmentStorePort: LISTEN,
    zkPort: 14200,
    jvmArgs: [`-Dpravegaservice.service.published.port=${PUBLISHED}`],
    log: () => {},
  });
  const config = loadConfig(['--port', '0', '--controller', `tcp://127.0.0.1:${CONTROLLER}`], {});
  gateway = await startGateway(config, pino({ level: 'silent' }));
  client = await connectSdk(gateway.url, scope);
  await client.createScope(scope);
}, 240_000);

afterAll(async () => {
  await client?.close();
  await gateway?.close();
  await proxy?.stop();
  await pravega?.stop();
});

interface Run {
  attempted: string[];
  acked: Set<string>;
  done: Promise<void>;
}

/** `writers` writers, each writing `perWriter` unique payloads over 8 keys, pipelined. */
function writeAll(stream: string, writers: number, perWriter: number, through: SluiceClient = client): Run {
  const attempted: string[] = [];
  const acked = new Set<string>();
  const jobs: Promise<void>[] = [];
  for (let w = 0; w < writers; w++) {
    const writer: EventWriter<string> = through.writer(stream, {
      serializer: Serializers.utf8(),
      writerId: uniqueName(`w${w}`),
    });
    jobs.push(
      (async () => {
        const pending: Promise<void>[] = [];
        for (let i = 0; i < perWriter; i++) {
          const payload = `key-${i % 8}|w${w}|${i}`;
          attempted.push(payload);
          pending.push(writer.write(payload, `key-${i % 8}`).then(() => void acked.add(payload)));
          if (i % 500 === 499) await Promise.all(pending.splice(0, 250));
        }
        await Promise.all(pending);
        await writer.close();
      })(),
    );
  }
  return { attempted, acked, done: Promise.all(jobs).then(() => {}) };
}

async function readAll(stream: string): Promise<string[]> {
  const end = (await client.streamInfo(stream)).tail;
  const out: string[] = [];
  for await (const ev of client.reader(stream, { serializer: Serializers.utf8(), from: 'head', to: end }))
    out.push(ev.value);
  return out;
}

describe('fault scenarios', () => {
  it('R4: cut, delayed and fragmented connections to the segment store lose and duplicate nothing', async () => {
    const stream = uniqueName('r4');
    await client.createStream(stream, { scaling: { type: 'fixed', segments: 3 } });
    const run = writeAll(stream, 4, 10_000);
    let finished = false;
    void run.done.then(() => {
      finished = true;
    });
    const faults = { cuts: 0, delays: 0, fragments: 0 };
    for (let round = 0; !finished; round++) {
      const pick = round % 3;
      if (pick === 0) {
        proxy.cutAll();
        faults.cuts++;
      } else if (pick === 1) {
        proxy.maxDelayMs = 200;
        faults.delays++;
      } else {
        proxy.fragment = true;
        faults.fragments++;
      }
      await new Promise((r) => setTimeout(r, 200));
      proxy.maxDelayMs = 0;
      proxy.fragment = false;
      await new Promise((r) => setTimeout(r, 100));
    }
    await run.done;
    const result = check(run.attempted, run.acked, await readAll(stream));
    expect(faults.cuts).toBeGreaterThan(0);
    expect(faults.delays + faults.fragments).toBeGreaterThan(0);
    expect(result.lostAcked).toEqual([]);
    expect(result.duplicate).toEqual([]);
    expect(result.reorderedWithinKey).toEqual([]);
    expect(run.acked.size).toBe(run.attempted.length);
    expect(result.read).toBe(run.attempted.length);
  });

  it('R5: while Pravega is paused nothing is acknowledged, and afterwards everything is, once', async () => {
    const stream = uniqueName('r5');
    await client.createStream(stream, { scaling: { type: 'fixed', segments: 2 } });
    const run = writeAll(stream, 2, 5_000);
    while (run.acked.size < 1_000) await new Promise((r) => setTimeout(r, 20));
    process.kill(pravega.pid, 'SIGSTOP');
    try {
      await new Promise((r) => setTimeout(r, 500)); // acknowledgements already on the wire land
      const before = run.acked.size;
      await new Promise((r) => setTimeout(r, 5_000));
      expect(run.acked.size).toBe(before);
    } finally {
      process.kill(pravega.pid, 'SIGCONT');
    }
    await run.done;
    const result = check(run.attempted, run.acked, await readAll(stream));
    expect(result.lostAcked).toEqual([]);
    expect(result.duplicate).toEqual([]);
    expect(result.reorderedWithinKey).toEqual([]);
    expect(result.read).toBe(run.attempted.length);
  });

  it('R1: SIGKILLs of the gateway during writes from 16 writers lose and duplicate nothing', async () => {
    const kills = Number(process.env.SLUICE_R1_KILLS ?? 3);
    const stream = uniqueName('r1');
    await client.createStream(stream, { scaling: { type: 'fixed', segments: 4 } });
    const doomed = await GatewayProcess.start(['--controller', `tcp://127.0.0.1:${CONTROLLER}`]);
    const writerClient = await connectSdk(doomed.url, scope);
    try {
      const run = writeAll(stream, 16, 2_500, writerClient);
      const total = 16 * 2_500;
      const unackedAtKill: number[] = [];
      for (let k = 1; k <= kills; k++) {
        while (run.acked.size < (total * k) / (kills + 1)) await new Promise((r) => setTimeout(r, 10));
        unackedAtKill.push(run.attempted.length - run.acked.size);
        await doomed.kill();
        await doomed.start();
      }
      await run.done;
      const result = check(run.attempted, run.acked, await readAll(stream));
      for (const n of unackedAtKill) expect(n).toBeGreaterThan(0);
      expect(result.lostAcked).toEqual([]);
      expect(result.duplicate).toEqual([]);
      expect(result.reorderedWithinKey).toEqual([]);
      expect(result.read).toBe(total);
    } finally {
      await writerClient.close();
      await doomed.stop();
    }
  });

  // Last: it kills this file's private standalone for good.
  it('R7: Pravega killed: every in-flight operation ends as an error or unknown, never as success', async () => {
    const stream = uniqueName('r7');
    await client.createStream(stream, { scaling: { type: 'fixed', segments: 2 } });
    const writer = client.writer(stream, { serializer: Serializers.utf8(), deliveryTimeoutMs: 8_000 });
    const txWriter = client.writer(stream, {
      serializer: Serializers.utf8(),
      mode: 'exactly-once',
      deliveryTimeoutMs: 8_000,
    });
    const tx = await txWriter.beginTxn();
    await tx.write('txn|r7|0', 'txn');
    await tx.prepare();

    let killedAt = 0;
    let ackedBefore = 0;
    let ackedAfterKill = 0;
    const failures = new Map<string, number>();
    const outcomes: Promise<void>[] = [];
    let stop = false;
    const producing = (async () => {
      for (let i = 0; !stop; i++) {
        const payload = `key-${i % 8}|r7|${i}`;
        outcomes.push(
          writer.write(payload, `key-${i % 8}`).then(
            () => {
              // Acknowledgements already on the wire when Pravega died may still land at once.
              if (killedAt > 0 && Date.now() - killedAt > 1_000) ackedAfterKill++;
              else ackedBefore++;
            },
            (err: { code?: string }) => {
              failures.set(err.code ?? 'other', (failures.get(err.code ?? 'other') ?? 0) + 1);
            },
          ),
        );
        if (i % 100 === 99) await new Promise((r) => setTimeout(r, 5));
      }
    })();
    while (ackedBefore < 2_000) await new Promise((r) => setTimeout(r, 20));

    killedAt = Date.now();
    process.kill(pravega.pid, 'SIGKILL');
    const commit = tx.commit().then(
      () => 'committed',
      (err: { code?: string }) => err.code ?? 'other',
    );
    const info = client.streamInfo(stream).then(
      () => 'answered',
      (err: { code?: string }) => err.code ?? 'other',
    );
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await producing;
    await Promise.all(outcomes); // every write settles: the delivery timeout bounds them

    expect(ackedAfterKill).toBe(0);
    expect(failures.size).toBeGreaterThan(0);
    for (const code of failures.keys()) expect(['outcome-unknown', 'unavailable']).toContain(code);
    // The commit cannot be confirmed: it says so rather than guessing.
    expect(await commit).toBe('outcome-unknown');
    expect(await info).not.toBe('answered');
  }, 240_000);
});
