/**
 * A segment store SIGKILLed while transactional writers commit in a loop on the real cluster:
 * every transaction ends committed or aborted — one whose commit answered `outcome-unknown` is
 * looked up afterwards and must be one or the other — and a read-back shows each committed
 * transaction whole, exactly once, and nothing of an aborted one (never half-visible). The
 * transactions span every segment, so each one touches the dead store's segments.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../faults/checker.js';
import { uniqueName } from '../helpers/names.js';
import { until, useStoreKill } from './helpers/store-kill.js';
import { readAll } from './helpers/streams.js';
import { resolveOutcomes, startTransactionalWriters, transactionVisibility } from './helpers/transactions.js';

const storeKill = useStoreKill('store-kill-txn');
const { cluster, fixture } = storeKill;

describe('a segment store SIGKILLed during transaction commits', () => {
  it('leaves every transaction committed or aborted, all or nothing, nothing committed lost or duplicated', async () => {
    const { client } = fixture;
    const stream = uniqueName('kill-txn');
    await client.createStream(stream, { scaling: { type: 'fixed', segments: 12 } });
    await cluster.waitForContainers();
    const { victim } = await storeKill.pickVictim(stream, 'most');

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
