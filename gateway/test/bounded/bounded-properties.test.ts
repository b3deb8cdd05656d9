/**
 * Properties of bounded reads on random streams (writes, splits, merges) against the real
 * standalone:
 * - between any two cuts, the SDK reader and readBatch read exactly the events written between them;
 * - a chain of bounded reads, each stopped at random and resumed from its checkpoint with the
 *   same or a later `to`, reads every event exactly once.
 * About half the streams are written by one writer kept open across the steps (it re-routes
 * across the scalings between its writes), the rest by a writer per step.
 * SLUICE_BOUNDED_RUNS sets the number of random streams (20 by default), SLUICE_BOUNDED_SEED
 * fast-check's seed (to replay a failure).
 */
import { checkpointStores, Serializers, type SluiceClient, type StreamCut } from '@sluice/sdk';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashToRange } from '../../src/streams/routing.js';
import { uniqueName } from '../helpers/names.js';
import { useGateway } from '../helpers/setup.js';
import { buildStream, scriptArb, sorted, staleWriterScript } from './random-streams.js';

const RUNS = Number(process.env.SLUICE_BOUNDED_RUNS ?? 20);
/** Replays a failure: fast-check prints the seed of a failing run. */
const SEED = process.env.SLUICE_BOUNDED_SEED === undefined ? undefined : Number(process.env.SLUICE_BOUNDED_SEED);
const fx = useGateway('bprop');

async function readBetween(client: SluiceClient, stream: string, from: StreamCut, to: StreamCut): Promise<string[]> {
  const got: string[] = [];
  for await (const ev of client.reader(stream, { serializer: Serializers.utf8(), from, to })) got.push(ev.value);
  return got;
}

async function batchBetween(client: SluiceClient, stream: string, from: StreamCut, to: StreamCut): Promise<string[]> {
  const got: string[] = [];
  for await (const ev of client.readBatch(stream, { from, to, serializer: Serializers.utf8() })) got.push(ev.value);
  return got;
}

/** Bounded reads up to each target in turn, each stopped after `stops[i]` events and resumed. */
async function chain(
  client: SluiceClient,
  stream: string,
  targets: StreamCut[],
  stops: number[],
): Promise<{ got: string[]; readers: number }> {
  const store = checkpointStores.memory();
  const got: string[] = [];
  let readers = 0;
  for (const to of targets) {
    for (;;) {
      const stop = stops[readers++ % stops.length]!;
      const reader = client.reader(stream, { serializer: Serializers.utf8(), from: 'head', to, checkpoints: store });
      let n = 0;
      let stopped = false;
      for await (const ev of reader) {
        got.push(ev.value);
        if (++n === stop) {
          await reader.checkpoint();
          stopped = true;
          break;
        }
      }
      if (!stopped) await reader.checkpoint();
      await reader.close();
      if (!stopped) break;
    }
  }
  return { got, readers };
}

describe('bounded reads on random streams', () => {
  it(`read exactly the events between two cuts, and once along a chain of resumed reads (${RUNS} streams)`, async () => {
    let pairs = 0;
    let resumes = 0;
    await fc.assert(
      fc.asyncProperty(
        scriptArb,
        fc.tuple(fc.nat(), fc.nat()),
        fc.uniqueArray(fc.nat(6), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 25 }), { minLength: 1, maxLength: 5 }),
        async (script, pair, targetPicks, stops) => {
          const built = await buildStream(fx.client, uniqueName('r'), script);
          const { stream, values, cuts, counts } = built;
          const last = cuts.length - 1;
          const [i, j] = [pair[0] % cuts.length, pair[1] % cuts.length].sort((a, b) => a - b) as [number, number];
          const expected = sorted(values.slice(counts[i], counts[j]));
          const why = `${built.log.join(', ')}; cuts ${i}..${j}`;
          expect(sorted(await readBetween(fx.client, stream, cuts[i]!, cuts[j]!)), why).toEqual(expected);
          expect(sorted(await batchBetween(fx.client, stream, cuts[i]!, cuts[j]!)), why).toEqual(expected);
          pairs++;

          const targets = [...new Set([...targetPicks.map((t) => t % cuts.length), last])].sort((a, b) => a - b);
          const run = await chain(
            fx.client,
            stream,
            targets.map((t) => cuts[t]!),
            stops,
          );
          resumes += run.readers;
          expect(sorted(run.got), `${built.log.join(', ')}; targets ${targets}; stops ${stops}`).toEqual(
            sorted(values),
          );
          await fx.client.deleteStream(stream).catch(() => {});
        },
      ),
      {
        numRuns: RUNS,
        endOnFailure: true,
        ...(SEED === undefined ? {} : { seed: SEED }),
        examples: [[staleWriterScript(hashToRange), [0, 4], [4], [7]]],
      },
    );
    console.log(
      `[bounded properties] ${RUNS} random streams, ${pairs} cut pairs, ${resumes} bounded readers in chains`,
    );
  }, 600_000);
});
