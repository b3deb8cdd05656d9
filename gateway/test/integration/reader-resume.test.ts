/**
 * Exactly-once resume from checkpoints: a reader is dropped at random points (without a final
 * checkpoint, as a crash would) and opened again on the same file store, many times over. Its
 * state — every event id it processed, saved atomically with its position — ends up holding
 * every event exactly once. SLUICE_READER_KILLS sets the number of crashes (100 by default).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointStores, Serializers } from '@sluice/sdk';
import { describe, expect, it } from 'vitest';
import { reportScenario } from '../faults/report.js';
import { uniqueName } from '../helpers/names.js';
import { connectSdk } from '../helpers/sdk.js';

const KILLS = Number(process.env.SLUICE_READER_KILLS ?? 100);
const TOTAL = 20_000;
const CHECKPOINT_EVERY = Math.max(1, Math.min(37, Math.floor(TOTAL / KILLS / 3)));

import { useGateway } from '../helpers/setup.js';

const fx = useGateway('resume');

describe('reader checkpoints', () => {
  it(`resume exactly once after ${KILLS} crashes`, async () => {
    const stream = uniqueName('s');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 4 } });
    const writer = fx.client.writer(stream, { serializer: Serializers.utf8() });
    await Promise.all(Array.from({ length: TOTAL }, (_, i) => writer.write(String(i), `k${i % 32}`)));
    await writer.close();
    const store = checkpointStores.file(mkdtempSync(join(tmpdir(), 'sluice-resume-')));
    const end = (await fx.client.streamInfo(stream)).tail;

    let crashes = 0;
    let done = false;
    let rounds = 0;
    while (!done) {
      rounds++;
      // Each incarnation gets its own session, dropped hard at a random point.
      const session = await connectSdk(fx.gateway.url, fx.scope);
      const reader = session.reader(stream, {
        serializer: Serializers.utf8(),
        from: 'head',
        to: end,
        checkpoints: store,
      });
      const processed: number[] = (await reader.restoredState<number[]>()) ?? [];
      // Crashes come early enough that all KILLS of them happen before the stream's end (about
      // 40 % of it is read by then), and checkpoints often enough that crashes land between them.
      const crashAfter = crashes < KILLS ? 1 + Math.floor(Math.random() * (TOTAL / KILLS)) : Number.POSITIVE_INFINITY;
      let sinceStart = 0;
      done = true;
      for await (const ev of reader) {
        processed.push(Number(ev.value));
        sinceStart++;
        if (sinceStart % CHECKPOINT_EVERY === 0) await reader.checkpoint({ state: processed });
        if (sinceStart >= crashAfter) {
          crashes++;
          done = false;
          break; // crash: nothing after the last checkpoint is kept
        }
      }
      if (done) await reader.checkpoint({ state: processed });
      await session.close();
      if (done) {
        const final = (await store.load(stream.includes('/') ? stream : `${fx.scope}/${stream}`))?.state as number[];
        reportScenario({
          scenario: 'R3 reader crashed and resumed from its file checkpoint store',
          cycles: crashes,
          events: TOTAL,
          lostAcked: TOTAL - new Set(final).size,
          duplicate: final.length - new Set(final).size,
          reorderedWithinKey: 0,
          abortedVisible: 0,
          unseen: 0,
        });
        expect(final).toHaveLength(TOTAL);
        expect(new Set(final).size).toBe(TOTAL);
      }
    }
    expect(crashes).toBe(KILLS);
    expect(rounds).toBe(KILLS + 1);
  }, 3_600_000);
});
