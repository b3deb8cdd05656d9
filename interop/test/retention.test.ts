/**
 * Consumption-based retention (Pravega's ReaderGroupConfig.retentionType) against Pravega's own
 * controller and Java client: Sluice groups created with retention 'automatic' or 'manual' are
 * the controller's subscribers of their stream, as a Java group is; the controller's retention
 * truncates the stream exactly at the slowest subscriber's published cut, never past it; and a
 * deleted group (Java's or Sluice's) stops holding the stream back.
 *
 * The controller runs retention every `controller.retention.frequency.minutes` (default 30, the
 * shared standalone's): this file runs a standalone of its own, on other ports, with 1 minute,
 * the least the property takes. Another run's instance on those ports is reused (it must have
 * been started with the same property: `ensurePravega` below starts it so).
 */
import { type ReaderGroupConfig, Serializers, type SluiceClient, StreamCut } from '@sluice/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerClient } from '../../gateway/src/controller/controller-client.js';
import { listSubscribers } from '../../gateway/src/controller/subscriber-rpc.js';
import type { RunningGateway } from '../../gateway/src/server/gateway.js';
import { startTestGateway } from '../../gateway/test/helpers/in-process-gateway.js';
import { uniqueName } from '../../gateway/test/helpers/names.js';
import { connectSdk } from '../../gateway/test/helpers/sdk.js';
import { ensurePravega, type PravegaLease } from '../../scripts/pravega-lib.mjs';
import { javaPeer } from './java-peer.js';

const STANDALONE = { controllerPort: 19090, segmentStorePort: 22345, zkPort: 14000, name: 'retention' };
const RETENTION_EVERY_MINUTE = '-Dcontroller.retention.frequency.minutes=1';
const utf8 = Serializers.utf8();
const scope = uniqueName('retention');
let lease: PravegaLease;
let gateway: RunningGateway;
let client: SluiceClient;
let controller: ControllerClient;

beforeAll(async () => {
  lease = await ensurePravega({
    ...STANDALONE,
    jvmArgs: ['-Xmx1g', RETENTION_EVERY_MINUTE],
    log: (line) => console.log(`[pravega:retention] ${line}`),
  });
  gateway = await startTestGateway([], lease.controllerUri);
  client = await connectSdk(gateway.url, scope);
  await client.createScope(scope);
  controller = new ControllerClient({ uri: lease.controllerUri });
}, 240_000);

afterAll(async () => {
  await client?.close();
  await gateway?.close();
  await controller?.close();
  await lease?.release();
});

function java(command: string, stream: string, ...more: string[]) {
  return javaPeer([command, '--controller', lease.controllerUri, '--scope', scope, '--stream', stream, ...more]);
}

/** Reads `n` events as reader `readerId` of `group`, commits there, closes. */
async function readAndCommit(stream: string, group: string, readerId: string, n: number): Promise<void> {
  const reader = client.reader(stream, { serializer: utf8, group, readerId, autoCheckpointMs: 600_000 });
  let seen = 0;
  for await (const _ of reader) {
    if (++seen === n) {
      await reader.checkpoint();
      break;
    }
  }
  await reader.close();
}

/** Per segment, the lowest offset of the cuts: what every one of them has read. */
function lowerBound(cuts: StreamCut[]): Map<bigint, bigint> {
  const bound = new Map<bigint, bigint>();
  for (const cut of cuts)
    for (const [segment, offset] of cut.positions) {
      const before = bound.get(segment);
      bound.set(segment, before === undefined || offset < before ? offset : before);
    }
  return bound;
}

/**
 * Waits for the controller's retention to move the stream's head to `expected`, checking at every
 * look that the head never passed it: data a subscriber has not consumed is never dropped.
 */
async function headReaches(stream: string, expected: Map<bigint, bigint>, what: string): Promise<void> {
  // Three retention periods: one to record a cut of the stream's size, one to truncate, one spare.
  const deadline = Date.now() + 210_000;
  for (;;) {
    const head = (await client.streamInfo(stream)).head.positions;
    for (const [segment, offset] of head)
      expect(offset, `segment ${segment} truncated past ${what}`).toBeLessThanOrEqual(expected.get(segment) ?? 0n);
    if ([...expected].every(([segment, offset]) => head.get(segment) === offset)) return;
    if (Date.now() > deadline)
      throw new Error(
        `the stream's head stayed at ${[...head].join(' ')}; expected ${[...expected].join(' ')} (${what})`,
      );
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

describe('checkScopeExists', () => {
  it("answers as Java's StreamManager.checkScopeExists", async () => {
    expect(await client.checkScopeExists(scope)).toBe(true);
    expect(await client.checkScopeExists(uniqueName('nope'))).toBe(false);
  });
});

describe('consumption-based retention', () => {
  it('truncates at the slowest subscriber, Java groups included, and forgets deleted groups', async () => {
    const stream = uniqueName('s');
    await client.createStream(stream, {
      scaling: { type: 'fixed', segments: 2 },
      retention: { type: 'size', bytes: 0 },
    });
    const auto = uniqueName('auto');
    const manual = uniqueName('manual');
    const javaGroup = uniqueName('java');
    // 'automatic' with a group checkpoint every second (Java's automaticCheckpointIntervalMillis):
    // nobody calls checkpointReaderGroup; each completed checkpoint is published.
    const autoConfig: ReaderGroupConfig = { streams: [stream], retention: 'automatic', groupCheckpointMs: 1_000 };
    expect(await client.createReaderGroup(auto, autoConfig)).toBe(true);
    expect(await client.createReaderGroup(auto, autoConfig)).toBe(false);
    expect(await client.createReaderGroup(manual, { streams: [stream], retention: 'manual' })).toBe(true);
    expect((await listSubscribers(controller, scope, stream)).sort()).toEqual(
      [`${scope}/${auto}`, `${scope}/${manual}`].sort(),
    );

    const writer = client.writer(stream, { serializer: utf8 });
    const values = Array.from({ length: 60 }, (_, i) => `e|${i}`);
    await Promise.all(values.map((v, i) => writer.write(v, `k${i % 6}`)));
    await writer.close();

    // Java: a group with AUTOMATIC_RELEASE_AT_LAST_CHECKPOINT reads 10 events and checkpoints.
    const [javaRun] = (await java('rg-subscribe', stream, '--group', javaGroup, '--read', '10')) as [{ cut: string }];
    const javaCut = await StreamCut.fromText(javaRun.cut);
    // Sluice, manual: a reader commits after 30 events; the application publishes the group's cuts.
    await readAndCommit(stream, manual, 'm', 30);
    const manualCut = (await client.readerGroupStreamCuts(manual)).get(`${scope}/${stream}`)!;
    await client.updateRetentionStreamCut(manual, [manualCut]);
    // Sluice, automatic: a reader reads everything and waits for more; the group's periodic
    // checkpoints (it commits for each while it waits) come to the tail.
    const reader = client.reader(stream, { serializer: utf8, group: auto, readerId: 'a', autoCheckpointMs: 600_000 });
    const events = reader[Symbol.asyncIterator]();
    for (let i = 0; i < values.length; i++) await events.next();
    const waiting = events.next();
    const tail = (await client.streamInfo(stream)).tail;
    const atTail = (info: Awaited<ReturnType<typeof client.describeReaderGroup>>) => {
      const cut = info.lastCheckpoint?.cuts.get(`${scope}/${stream}`);
      return cut !== undefined && [...tail.positions].every(([s, o]) => cut.positions.get(s) === o);
    };
    const deadline = Date.now() + 60_000;
    while (!atTail(await client.describeReaderGroup(auto))) {
      if (Date.now() > deadline) throw new Error('no group checkpoint of the automatic group reached the tail');
      await new Promise((r) => setTimeout(r, 500));
    }
    expect((await listSubscribers(controller, scope, stream)).sort()).toEqual(
      [`${scope}/${auto}`, `${scope}/${manual}`, `${scope}/${javaGroup}`].sort(),
    );

    // Only a manual group takes the application's cuts, and never one behind its last.
    await expect(client.updateRetentionStreamCut(auto, [tail])).rejects.toMatchObject({ code: 'invalid-argument' });
    const head = new StreamCut(`${scope}/${stream}`, new Map([...tail.positions].map(([s]) => [s, 0n])));
    if ([...manualCut.positions].some(([, o]) => o > 0n))
      await expect(client.updateRetentionStreamCut(manual, [head])).rejects.toMatchObject({ code: 'invalid-argument' });

    console.log('[retention] waiting for the head at what all three groups read');
    await headReaches(stream, lowerBound([javaCut, manualCut, tail]), 'what all three groups read');
    await java('rg-delete', stream, '--group', javaGroup);
    expect(await listSubscribers(controller, scope, stream)).not.toContain(`${scope}/${javaGroup}`);
    console.log('[retention] waiting for the head at what the two Sluice groups read');
    await headReaches(stream, lowerBound([manualCut, tail]), 'what the two Sluice groups read');
    expect(await client.deleteReaderGroup(manual)).toBe(true);
    expect(await listSubscribers(controller, scope, stream)).toEqual([`${scope}/${auto}`]);
    console.log("[retention] waiting for the head at the automatic group's checkpoint");
    await headReaches(stream, lowerBound([tail]), 'what the automatic group read at its checkpoint');
    await reader.close();
    expect((await waiting).done).toBe(true);
    expect(await client.deleteReaderGroup(auto)).toBe(true);
    expect(await listSubscribers(controller, scope, stream)).toEqual([]);
  }, 900_000);
});
