/**
 * Exactly-once through a reader group, across two gateway processes: four group readers over
 * an 8-segment stream, each an exactly-once pipeline (A → B through transactions whose ids are
 * committed with the reader's offsets in the group's state in Pravega). After a group-wide
 * checkpoint, one reader is killed for good and one gateway is SIGKILLed and restarted while
 * events keep arriving. B must end up holding every event of A exactly once.
 *
 * The count is taken once nothing more can reach B: the group has committed the whole of A, the
 * pipelines have stopped (each after its last checkpoint), and a transaction committed on B after
 * that is merged — Pravega merges a stream's transactions in the order their commits were asked
 * for, so every commit asked for before it is merged too.
 */
import { Serializers, type SluiceClient } from '@sluice/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { uniqueName } from '../helpers/names.js';
import { connectSdk } from '../helpers/sdk.js';
import { useGateway } from '../helpers/setup.js';

const fx = useGateway('group-eo');
let second: GatewayProcess;

beforeAll(async () => {
  const controller = process.env.PRAVEGA_CONTROLLER_URI ?? 'tcp://127.0.0.1:9090';
  second = await GatewayProcess.start(['--controller', controller, '--scope', fx.scope]);
}, 120_000);
afterAll(async () => {
  await second?.stop();
});

async function waitFor(what: string, probe: () => Promise<boolean> | boolean, ms = 180_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Member {
  readonly id: string;
  checkpoints: number;
  restarts: number;
  client: SluiceClient | undefined;
  stopped: boolean;
  /** Stops the pipeline as `run(signal)` does: a checkpoint under way finishes first. */
  readonly stop: AbortController;
  /** Settles when the member has stopped for good. */
  done: Promise<void>;
}

/** One group reader running an exactly-once pipeline; restarted (same reader id) when it fails. */
function runMember(url: () => string, id: string, input: string, output: string, group: string): Member {
  const m: Member = {
    id,
    checkpoints: 0,
    restarts: 0,
    client: undefined,
    stopped: false,
    stop: new AbortController(),
    done: Promise.resolve(),
  };
  m.done = (async () => {
    while (!m.stopped) {
      let client: SluiceClient | undefined;
      try {
        client = await connectSdk(url(), fx.scope);
        m.client = client;
        const reader = client.reader(input, {
          serializer: Serializers.utf8(),
          group,
          readerId: id,
          groupTimeoutMs: 4_000,
        });
        const writer = client.writer(output, { serializer: Serializers.utf8(), mode: 'exactly-once' });
        const job = client.pipeline({
          from: reader,
          to: writer,
          checkpointEvery: { events: 200, ms: 500 },
          txnLeaseMs: 60_000,
          process: (ev, emit) => emit(ev.value, ev.value.split('|')[0]),
          onCheckpoint: () => {
            m.checkpoints++;
          },
        });
        await job.run(m.stop.signal);
      } catch {
        m.restarts++;
      } finally {
        await client?.close().catch(() => {});
      }
      if (!m.stopped) await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return m;
}

/** Stops a member at a checkpoint boundary and waits until it has stopped. */
async function stopMember(m: Member): Promise<void> {
  m.stopped = true;
  m.stop.abort();
  await m.done;
}

/** The same segments at the same offsets. */
function samePositions(a: ReadonlyMap<bigint, bigint>, b: ReadonlyMap<bigint, bigint>): boolean {
  return a.size === b.size && [...a].every(([segment, offset]) => b.get(segment) === offset);
}

async function readAll(client: SluiceClient, stream: string): Promise<string[]> {
  const tail = (await client.streamInfo(stream)).tail;
  const out: string[] = [];
  for await (const ev of client.reader(stream, { serializer: Serializers.utf8(), from: 'head', to: tail }))
    out.push(ev.value);
  return out;
}

describe('reader group exactly-once', () => {
  it('4 readers, 8 segments, 2 gateways: a reader and a gateway killed, output exactly once', async () => {
    const input = uniqueName('in');
    const output = uniqueName('out');
    const group = uniqueName('g');
    await fx.client.createStream(input, { scaling: { type: 'fixed', segments: 8 } });
    await fx.client.createStream(output, { scaling: { type: 'fixed', segments: 2 } });
    const writer = fx.client.writer(input, { serializer: Serializers.utf8() });
    const written: string[] = [];
    const write = async (from: number, to: number) => {
      const batch: Promise<void>[] = [];
      for (let i = from; i < to; i++) {
        const v = `k${i % 64}|${i}`;
        written.push(v);
        batch.push(writer.write(v, `k${i % 64}`));
      }
      await Promise.all(batch);
    };
    await write(0, 4_000);

    const members = [
      runMember(() => fx.gateway.url, 'r1', input, output, group),
      runMember(() => fx.gateway.url, 'r2', input, output, group),
      runMember(() => second.url, 'r3', input, output, group),
      runMember(() => second.url, 'r4', input, output, group),
    ];
    await waitFor('all four readers to own two segments each', async () => {
      const info = await fx.client.describeReaderGroup(group).catch(() => undefined);
      return info !== undefined && info.readers.length === 4 && info.readers.every((r) => r.segments.length === 2);
    });
    await waitFor('every reader to commit', () => members.every((m) => m.checkpoints > 0));
    const { cuts } = await fx.client.checkpointReaderGroup(group);
    expect(cuts.get(`${fx.scope}/${input}`)?.positions.size).toBe(8);

    // Kill reader r1 for good (its socket just goes away), and SIGKILL the second gateway.
    members[0]!.stopped = true;
    await members[0]!.client?.close();
    await second.kill();
    await write(4_000, 5_000);
    await second.start();
    await write(5_000, 6_000);

    // The group committed the whole input (each commit recorded with its transaction of output).
    const inputTail = (await fx.client.streamInfo(input)).tail;
    await waitFor('the group’s committed offsets to reach the input’s tail', async () => {
      const cut = (await fx.client.readerGroupStreamCuts(group)).get(`${fx.scope}/${input}`);
      return cut !== undefined && samePositions(cut.positions, inputTail.positions);
    });
    const seen = new Set<string>();
    await waitFor('every written event in the output', async () => {
      for (const v of await readAll(fx.client, output)) seen.add(v);
      return written.every((v) => seen.has(v));
    });
    // r1's segments moved to the survivors, which keep all eight between three readers.
    const info = await fx.client.describeReaderGroup(group);
    expect(info.readers.map((r) => r.readerId).sort()).toEqual(['r2', 'r3', 'r4']);
    expect(info.readers.reduce((n, r) => n + r.segments.length, 0)).toBe(8);

    await Promise.all(members.map(stopMember));
    // Nothing of the pipelines can commit any more. A commit resolves once Pravega reports the
    // transaction committed (merged), and Pravega merges in the order commits were asked for: once
    // this one is, every commit asked for before it — a pipeline's, or one whose answer a killed
    // gateway never gave — is in the output too.
    const after = fx.client.writer(output, { serializer: Serializers.utf8(), mode: 'exactly-once' });
    await (await after.beginTxn()).commit();
    await after.close();
    const out = await readAll(fx.client, output);
    const counts = new Map<string, number>();
    for (const v of out) counts.set(v, (counts.get(v) ?? 0) + 1);
    const duplicates = [...counts].filter(([, n]) => n > 1);
    const missing = written.filter((v) => !counts.has(v));
    expect({ duplicates: duplicates.slice(0, 10), missing: missing.slice(0, 10) }).toEqual({
      duplicates: [],
      missing: [],
    });
    expect(out.length).toBe(written.length);
    await fx.client.deleteReaderGroup(group);
  }, 300_000);
});
