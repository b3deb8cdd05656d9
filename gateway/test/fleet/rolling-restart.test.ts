/**
 * A rolling restart behind a real load balancer: Debian's HAProxy in front of three gateway
 * processes (the real CLI) while writers, a reader, a reader group and transactions run through
 * it; each gateway in turn gets SIGTERM (a graceful drain), exits, and is started again. Nothing
 * lost, nothing twice, no `outcome-unknown`, no error surfaced to the application. Prints the
 * figures docs/deploy.md quotes: the restart's time, reconnects, the longest pause in writers'
 * acknowledgements.
 */
import { type EventReader, Serializers, type SluiceClient } from '@sluice/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, GatewayProcess } from '../helpers/gateway-process.js';
import { controllerUri } from '../helpers/in-process-gateway.js';
import { uniqueName } from '../helpers/names.js';
import { connectSdk } from '../helpers/sdk.js';
import { type Backend, HaproxyProcess } from './haproxy.js';

const scope = uniqueName('fleet');
const stream = 'orders';
const fleet: Array<{ backend: Backend; process: GatewayProcess }> = [];
let haproxy: HaproxyProcess;
const clients: SluiceClient[] = [];

const t0 = Date.now();
/** Progress on stdout: the step takes a minute or more. */
function say(line: string): void {
  console.log(`[fleet +${((Date.now() - t0) / 1000).toFixed(1)} s] ${line}`);
}

async function waitFor(what: string, probe: () => boolean, progress = () => '', ms = 90_000): Promise<void> {
  say(`waiting for ${what}`);
  const deadline = Date.now() + ms;
  let next = Date.now() + 10_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} (${progress()})`);
    if (Date.now() > next) {
      say(`still waiting for ${what} (${progress()})`);
      next += 10_000;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  for (let i = 1; i <= 3; i++) {
    const backend = { name: `gw${i}`, port: await freePort(), adminPort: await freePort() };
    const args = ['--controller', controllerUri(), '--scope', scope, '--admin-port', String(backend.adminPort)];
    args.push('--trusted-proxies', '127.0.0.1', '--drain-timeout-ms', '10000');
    fleet.push({ backend, process: new GatewayProcess(backend.port, args) });
  }
  await Promise.all(fleet.map((g) => g.process.start()));
  haproxy = new HaproxyProcess(
    await freePort(),
    await freePort(),
    fleet.map((g) => g.backend),
  );
  await haproxy.start();
  for (const g of fleet) await haproxy.waitFor(g.backend.name, 'UP');
}, 180_000);

afterAll(async () => {
  for (const c of clients) await c.close();
  await haproxy?.stop();
  for (const g of fleet) await g.process.stop();
});

/** A client through HAProxy, counting its reconnects. */
async function through(): Promise<{ client: SluiceClient; reconnects: () => number }> {
  const client = await connectSdk(haproxy.url, scope);
  clients.push(client);
  let n = 0;
  client.onStateChange((s) => {
    if (s === 'reconnecting') n++;
  });
  return { client, reconnects: () => n };
}

/** Reads in the background until closed; any error is kept. */
function readInto(reader: EventReader<string>, seen: string[], errors: unknown[]): Promise<void> {
  return (async () => {
    for await (const ev of reader) seen.push(ev.value);
  })().catch((err: unknown) => void errors.push(err));
}

function duplicates(values: readonly string[]): string[] {
  const seen = new Set<string>();
  return values.filter((v) => (seen.has(v) ? true : (seen.add(v), false)));
}

describe('three gateways behind HAProxy', () => {
  it('restart one by one under load: nothing lost, nothing twice, no error to the application', async () => {
    const setup = await through();
    await setup.client.createScope(scope);
    await setup.client.createStream(stream, { scaling: { type: 'fixed', segments: 4 } });
    const errors: unknown[] = [];
    let stop = false;
    let maxAckPauseMs = 0;

    // Two writers, up to 100 writes outstanding each.
    const acked: string[] = [];
    const writing = ['a', 'b'].map(async (name) => {
      const { client } = await through();
      const writer = client.writer(stream, { serializer: Serializers.utf8() });
      const outstanding = new Set<Promise<void>>();
      let lastAck = performance.now();
      for (let i = 0; !stop; i++) {
        if (outstanding.size >= 100) await Promise.race(outstanding);
        // About 200 writes a second each: a steady load, and a stream small enough to check whole.
        if (i % 10 === 0) await new Promise((r) => setTimeout(r, 50));
        const value = `${name}-${i}`;
        const p: Promise<void> = writer.write(value, `k${i % 13}`).then(
          () => {
            const now = performance.now();
            maxAckPauseMs = Math.max(maxAckPauseMs, now - lastAck);
            lastAck = now;
            acked.push(value);
          },
          (err: unknown) => void errors.push(err),
        );
        outstanding.add(p);
        void p.finally(() => outstanding.delete(p));
      }
      await Promise.all(outstanding);
      await writer.close();
    });

    // Transactions of 20 events, one after another, each committed.
    const committed: string[] = [];
    const transacting = (async () => {
      const { client } = await through();
      const writer = client.writer(stream, { serializer: Serializers.utf8(), mode: 'exactly-once' });
      try {
        for (let t = 0; !stop; t++) {
          const tx = await writer.beginTxn();
          const values = Array.from({ length: 20 }, (_, i) => `t${t}-${i}`);
          await Promise.all(values.map((v, i) => tx.write(v, `k${i % 13}`)));
          await tx.commit();
          committed.push(...values);
        }
      } catch (err) {
        errors.push(err);
      }
      await writer.close();
    })();

    // A reader of the whole stream, and a reader group of two.
    const readers = [await through(), await through(), await through()];
    const seenPlain: string[] = [];
    const seenGroup: string[] = [];
    const plain = readers[0]!.client.reader(stream, { serializer: Serializers.utf8(), from: 'head' });
    const group = uniqueName('g');
    const groupOpts = { serializer: Serializers.utf8(), from: 'head' as const, group, autoCheckpointMs: 200 };
    const members = [
      readers[1]!.client.reader(stream, { ...groupOpts, readerId: 'r1' }),
      readers[2]!.client.reader(stream, { ...groupOpts, readerId: 'r2' }),
    ];
    const reading = [readInto(plain, seenPlain, errors), ...members.map((m) => readInto(m, seenGroup, errors))];

    await waitFor('writes before the restart', () => acked.length >= 1_000 && committed.length >= 40);
    const started = performance.now();
    const steps: string[] = [];
    for (const { backend, process } of fleet) {
      const t0 = performance.now();
      say(`SIGTERM ${backend.name}`);
      await process.stop(); // SIGTERM: drain, exit
      expect(process.exitCode).toBe(0);
      const drained = performance.now() - t0;
      await process.start();
      await haproxy.waitFor(backend.name, 'UP');
      steps.push(
        `${backend.name} drained+exited ${Math.round(drained)} ms, back UP after ${Math.round(performance.now() - t0)} ms`,
      );
      const before = acked.length;
      say(steps.at(-1)!);
      await waitFor('writes after a restart', () => acked.length >= before + 300);
    }
    const restartMs = performance.now() - started;
    stop = true;
    await Promise.all(writing);
    await transacting;

    say(`writers and transactions done: ${acked.length} + ${committed.length}; reconciling`);
    const expected = [...acked, ...committed];
    let groupInfo = '';
    const describing = setInterval(() => {
      setup.client.describeReaderGroup(group).then(
        (i) => {
          groupInfo = JSON.stringify(i, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
        },
        (e: unknown) => {
          groupInfo = String(e);
        },
      );
    }, 5_000);
    const counts = () =>
      `expected ${expected.length}, reader ${seenPlain.length}, group ${seenGroup.length}, errors ${errors.map(String).join('; ')}, group ${groupInfo}`;
    await waitFor('the reader to see every event', () => seenPlain.length >= expected.length, counts);
    await waitFor('the group to see every event', () => new Set(seenGroup).size >= expected.length, counts);
    clearInterval(describing);
    await plain.close();
    for (const m of members) await m.close();
    await Promise.all(reading);

    expect(errors.map(String)).toEqual([]);
    // In Pravega: every acknowledged write and committed transaction event, once.
    const direct = await connectSdk(fleet[0]!.process.url, scope);
    clients.push(direct);
    const to = (await direct.streamInfo(stream)).tail;
    const stored: string[] = [];
    for await (const ev of direct.reader(stream, { serializer: Serializers.utf8(), from: 'head', to }))
      stored.push(ev.value);
    expect(duplicates(stored)).toEqual([]);
    expect(stored.length).toBe(expected.length);
    expect(new Set(stored)).toEqual(new Set(expected));
    expect(duplicates(seenPlain)).toEqual([]);
    expect(new Set(seenPlain)).toEqual(new Set(expected));
    expect(duplicates(seenGroup)).toEqual([]);
    expect(new Set(seenGroup)).toEqual(new Set(expected));

    const reconnects = [setup, ...readers].map((c) => c.reconnects());
    console.log(
      `[rolling restart] 3 gateways behind HAProxy drained and restarted one by one in ${(restartMs / 1000).toFixed(1)} s` +
        ` (${steps.join('; ')}); ${acked.length} writes and ${committed.length} events in ${committed.length / 20} transactions,` +
        ` all stored once; reader and group (2 readers) saw each once; reconnects of the reading clients ${reconnects.slice(1).join('/')};` +
        ` longest pause between a writer's acknowledgements ${Math.round(maxAckPauseMs)} ms`,
    );
  });
});
