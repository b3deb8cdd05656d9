/**
 * A segment store SIGKILLed while transactional writers commit in a loop on the real cluster:
 * every transaction ends committed or aborted — one whose commit answered `outcome-unknown` is
 * looked up afterwards and must be one or the other — and a read-back shows each committed
 * transaction whole, exactly once, and nothing of an aborted one (never half-visible). The
 * transactions span every segment, so each one touches the dead store's segments.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerClient } from '../../src/controller/controller-client.js';
import { check } from '../faults/checker.js';
import { uniqueName } from '../helpers/names.js';
import { useGateway } from '../helpers/setup.js';
import { testCluster } from './helpers/cluster.js';
import { readAll, victimStore } from './helpers/streams.js';
import { resolveOutcomes, startTransactionalWriters, transactionVisibility } from './helpers/transactions.js';

const cluster = testCluster();
const fixture = useGateway('store-kill-txn');
let controller: ControllerClient;
let victim: string | undefined;

beforeAll(() => {
  controller = new ControllerClient({ uri: cluster.controllerUri });
});
// Whatever happens here, the next test file gets a whole, settled cluster.
afterAll(async () => {
  await controller?.close();
  if (victim && !cluster.isAlive(victim)) await cluster.start(victim);
  await cluster.waitReady();
  await cluster.waitForContainers();
});

/** Waits until `probe` holds; throws after `ms` (the cluster stopped making progress). */
async function until(what: string, probe: () => boolean, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a segment store SIGKILLed during transaction commits', () => {
  it('leaves every transaction committed or aborted, all or nothing, nothing committed lost or duplicated', async () => {
    const { client, scope } = fixture;
    const stream = uniqueName('kill-txn');
    await client.createStream(stream, { scaling: { type: 'fixed', segments: 12 } });
    await cluster.waitForContainers();
    victim = (await victimStore(controller, cluster, scope, stream, 'most')).victim;

    // Three writers, 24 events over 24 keys per transaction (most segments), every 4th aborted.
    const writers = startTransactionalWriters(client, stream, {
      writers: 3,
      eventsPerTxn: 24,
      keys: 24,
      abortEvery: 4,
      pauseMs: 20,
    });
    let killedAt = 0;
    let movedAt = 0;
    try {
      await until('15 transactions before the kill', () => writers.finished() >= 15);
      const beforeKill = writers.txns.length;
      const inFlight = writers.txns.filter((t) => t.outcome === 'pending').length;
      killedAt = Date.now();
      await cluster.kill(victim);
      await cluster.waitForContainers();
      movedAt = Date.now();
      // The writers go on: transactions finish again on the survivors.
      const finishedAtMove = writers.finished();
      await until('15 transactions after the containers moved', () => writers.finished() >= finishedAtMove + 15);
      console.log(
        `[store-kill-txn] ${victim} killed after ${beforeKill} transactions began, ${inFlight} of them in flight; containers moved in ${movedAt - killedAt} ms`,
      );
    } finally {
      await writers.stop();
    }

    await resolveOutcomes(client, stream, writers.txns);
    const final = await readAll(client, stream);
    const { committedEvents, abortedVisible, partial } = transactionVisibility(writers.txns, new Set(final));
    const attempted = writers.txns.filter((t) => !t.doomed).flatMap((t) => t.events);
    const result = check(attempted, new Set(committedEvents), final);

    const outcomes = new Map<string, number>();
    for (const t of writers.txns) outcomes.set(t.outcome, (outcomes.get(t.outcome) ?? 0) + 1);
    console.log(
      `[store-kill-txn] ${writers.txns.length} transactions: ${JSON.stringify(Object.fromEntries(outcomes))}; ` +
        `read ${final.length}, committed events ${committedEvents.length}, lost ${result.lostAcked.length}, ` +
        `duplicate ${result.duplicate.length}, reordered ${result.reorderedWithinKey.length}, aborted visible ${abortedVisible}, partial ${partial}`,
    );
    // Every transaction ended one way or the other (an unanswered one is found committed or aborted).
    for (const t of writers.txns) expect(t.outcome).toMatch(/(^|→)(committed|aborted)$/);
    expect(result.lostAcked).toEqual([]);
    expect(result.duplicate).toEqual([]);
    expect(result.reorderedWithinKey).toEqual([]);
    expect(abortedVisible).toBe(0);
    expect(partial).toBe(0);
    // The read shows committed transactions and nothing else.
    expect(final).toHaveLength(committedEvents.length);
    expect(writers.txns.filter((t) => t.outcome === 'committed').length).toBeGreaterThan(20);
  });
});
