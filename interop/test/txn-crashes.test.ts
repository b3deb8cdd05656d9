/**
 * Two-phase commit under gateway crashes: the gateway is SIGKILLed at each of four points of a
 * transaction's life — after create, while the writes are still being acknowledged (before
 * prepare completes), after prepare before commit, and right after commit was sent (before its
 * reply). The SDK re-attaches to the transaction through the restarted gateway and finishes it.
 * Java then reads the stream: every committed event exactly once, nothing of aborted ones.
 * SLUICE_TXN_KILLS sets the kills per point (10 by default).
 */
import { Serializers, type Transaction } from '@sluice/sdk';
import { describe, expect, it } from 'vitest';
import { reportScenario } from '../../gateway/test/faults/report.js';
import { uniqueName } from '../../gateway/test/helpers/names.js';
import { useGatewayProcess } from '../../gateway/test/helpers/setup.js';
import { javaPeer, streamArgs } from './java-peer.js';

const KILLS = Number(process.env.SLUICE_TXN_KILLS ?? 10);
const EVENTS_PER_TXN = 200;
const _controller = () => process.env.PRAVEGA_CONTROLLER_URI ?? 'tcp://127.0.0.1:9090';
const fx = useGatewayProcess('txnkill');
const { scope } = fx;

type Point = 'after-create' | 'before-prepare-completes' | 'after-prepare' | 'after-commit-sent';
const POINTS: Point[] = ['after-create', 'before-prepare-completes', 'after-prepare', 'after-commit-sent'];

async function crash(): Promise<void> {
  await fx.gateway.kill();
  await fx.gateway.start();
}

describe('gateway SIGKILLed during two-phase commit', () => {
  it(`commits every committed transaction exactly once across ${KILLS * 4} kills`, async () => {
    const stream = uniqueName('s');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 3 } });
    const writer = fx.client.writer(stream, { serializer: Serializers.utf8(), mode: 'exactly-once' });
    const expected: string[] = [];
    let cycle = 0;
    for (let k = 0; k < KILLS; k++) {
      for (const point of POINTS) {
        cycle++;
        const events = Array.from({ length: EVENTS_PER_TXN }, (_, i) => `c${cycle}|key-${i % 9}|${i}`);
        const tx: Transaction<string> = await writer.beginTxn({ leaseMs: 60_000 });
        // A second transaction in every cycle is aborted: none of it may ever show.
        const doomed = await writer.beginTxn({ leaseMs: 60_000 });
        await Promise.all([doomed.write(`aborted|${cycle}`, 'key-0')]);
        if (point === 'after-create') await crash();
        const writes = events.map((e) => tx.write(e, e.split('|')[1]));
        let prepared: Promise<void>;
        if (point === 'before-prepare-completes') {
          prepared = tx.prepare();
          await crash();
        } else {
          prepared = tx.prepare();
        }
        await Promise.all(writes);
        await prepared;
        if (point === 'after-prepare') await crash();
        if (point === 'after-commit-sent') {
          const committing = tx.commit();
          await crash();
          await committing;
        } else {
          await tx.commit();
        }
        await doomed.abort();
        expect(await fx.client.transactionStatus(stream, tx.txnId)).toBe('committed');
        expected.push(...events);
      }
    }
    const lines = await javaPeer(
      ['read', ...streamArgs(scope, stream), '--expect', String(expected.length), '--timeout-ms', '120000'],
      { timeoutMs: 300_000 },
    );
    const seen = lines.filter((l) => typeof l.payload === 'string').map((l) => l.payload as string);
    const counts = new Map<string, number>();
    for (const p of seen) counts.set(p, (counts.get(p) ?? 0) + 1);
    reportScenario({
      scenario: 'R2 gateway SIGKILLed at the 4 points of two-phase commit',
      cycles: KILLS * 4,
      events: expected.length,
      lostAcked: expected.filter((p) => !counts.has(p)).length,
      duplicate: [...counts].filter(([, n]) => n > 1).length,
      reorderedWithinKey: 0,
      abortedVisible: seen.filter((p) => p.startsWith('aborted|')).length,
      unseen: 0,
    });
    expect(seen.filter((p) => p.startsWith('aborted|'))).toEqual([]);
    expect([...counts].filter(([, n]) => n > 1)).toEqual([]);
    expect(expected.filter((p) => !counts.has(p))).toEqual([]);
    expect(seen).toHaveLength(expected.length);
  }, 3_600_000);
});
