/**
 * A segment store SIGKILLed under a reader group on the real cluster: two group readers,
 * committing checkpoints as they go, read a 12-segment stream while a writer keeps writing; the
 * store owning the most segments dies. The moved segments are read again on their new stores,
 * and by checkpoint-based exactly-once (docs/readers.md, "Reader groups": what a reader committed
 * is done, what it delivered after its last commit is void if it loses its segments) the group's
 * committed events are every acknowledged event exactly once, each reader's in key order.
 */
import { Serializers } from '@sluice/sdk';
import { describe, expect, it } from 'vitest';
import { check } from '../faults/checker.js';
import { uniqueName } from '../helpers/names.js';
import { startGroupMember } from './helpers/group-readers.js';
import { until, useStoreKill } from './helpers/store-kill.js';

const storeKill = useStoreKill('store-kill-group');
const { cluster, fixture } = storeKill;

describe('a segment store SIGKILLed during reader-group reads', () => {
  it('has the group commit every acknowledged event exactly once, in key order', async () => {
    const { client } = fixture;
    const stream = uniqueName('kill-group');
    const group = uniqueName('g');
    await client.createStream(stream, { scaling: { type: 'fixed', segments: 12 } });
    await cluster.waitForContainers();
    const picked = await storeKill.pickVictim(stream, 'most');
    const victim = picked.victim;

    const members = [
      startGroupMember(client, stream, group, 'r1', 50),
      startGroupMember(client, stream, group, 'r2', 50),
    ];
    const committed = () => members.reduce((n, m) => n + m.committed.length, 0);

    // A writer, 24 keys a round, a round every 50 ms, until told to stop.
    const writer = client.writer(stream, { serializer: Serializers.utf8(), deliveryTimeoutMs: 180_000 });
    const attempted: string[] = [];
    const acked = new Set<string>();
    const acks: Promise<void>[] = [];
    let writing = true;
    const writing$ = (async () => {
      while (writing) {
        for (let k = 0; k < 24; k++) {
          const key = `key-${k}`;
          const value = `${key}|w|${attempted.length}`;
          attempted.push(value);
          acks.push(writer.write(value, key).then(() => void acked.add(value)));
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    let killedAt = 0;
    let movedMs = 0;
    const deliveredAtKill: number[] = [];
    try {
      await until('both readers to commit', () => members.every((m) => m.committed.length >= 100));
      for (const m of members) deliveredAtKill.push(m.delivered.length);
      killedAt = Date.now();
      await cluster.kill(victim);
      await cluster.waitForContainers();
      movedMs = Date.now() - killedAt;
      // The moved segments are read again, and the group commits on.
      const movedReadAgain = () =>
        members.some((m, i) => m.delivered.slice(deliveredAtKill[i]).some((e) => picked.moved.has(e.segment)));
      const committedAtMove = committed();
      await until('a moved segment read again and 1,000 more commits', () => {
        return movedReadAgain() && committed() >= committedAtMove + 1_000;
      });
    } finally {
      writing = false;
      await writing$;
      await Promise.all(acks);
      await writer.close();
    }

    // Everything acknowledged delivered, then a last commit by each reader (no event arrives now).
    const delivered = () => new Set(members.flatMap((m) => [...m.committed, ...m.pending]));
    await until('the group to deliver every acknowledged event', () => {
      const seen = delivered();
      return [...acked].every((v) => seen.has(v));
    });
    for (const m of members)
      for (let i = 0; m.pending.length > 0; i++) {
        if (i === 50) throw new Error(`${m.id} could not commit: ${JSON.stringify([...m.commitErrors])}`);
        await m.commitNow();
      }
    await Promise.all(members.map((m) => m.close()));

    const all = members.flatMap((m) => m.committed);
    const result = check(attempted, acked, all);
    const movedAfterKill = members.map(
      (m, i) => m.delivered.slice(deliveredAtKill[i]).filter((e) => picked.moved.has(e.segment)).length,
    );
    const rawDelivered = members.reduce((n, m) => n + m.delivered.length, 0);
    console.log(
      `[store-kill-group] ${victim} killed (${picked.moved.size}/12 segments moved), containers moved in ${movedMs} ms; ` +
        `${attempted.length} written, ${acked.size} acknowledged; committed ${members.map((m) => `${m.id} ${m.committed.length}`).join(', ')}; ` +
        `delivered ${rawDelivered} (${rawDelivered - all.length} void after a lost commit); moved-segment events read after the kill ${movedAfterKill.join(' + ')}; ` +
        `commit errors ${JSON.stringify(members.map((m) => Object.fromEntries(m.commitErrors)))}; lost ${result.lostAcked.length}, duplicate ${result.duplicate.length}`,
    );
    for (const m of members) expect(m.readError()).toBeUndefined();
    expect(acked.size).toBe(attempted.length);
    expect(result.lostAcked).toEqual([]);
    expect(result.duplicate).toEqual([]);
    expect(all).toHaveLength(acked.size);
    for (const m of members) expect(check([], new Set(), m.committed).reorderedWithinKey).toEqual([]);
    expect(movedAfterKill.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });
});
