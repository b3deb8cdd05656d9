/**
 * Random streams for the bounded-read properties: a script of writes, splits and merges run
 * against the real standalone, with a cut taken after every step. Cut k bounds exactly the first
 * `counts[k]` events written (writes are awaited before the cut is taken).
 */
import { Serializers, type SluiceClient, type StreamCut } from '@sluice/sdk';
import fc from 'fast-check';

export type Step = { kind: 'write'; n: number } | { kind: 'split'; pick: number } | { kind: 'merge'; pick: number };

export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('write' as const), n: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('split' as const), pick: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('merge' as const), pick: fc.nat(7) }) },
);

export const scriptArb = fc.record({
  segments: fc.integer({ min: 1, max: 3 }),
  keySeed: fc.nat(10_000),
  /** One writer across every step (re-routing across the scalings between), or one per step. */
  oneWriter: fc.boolean(),
  steps: fc.array(stepArb, { minLength: 2, maxLength: 6 }),
});

export type Script = typeof scriptArb extends fc.Arbitrary<infer S> ? S : never;

/** The routing key of event `index` (cyclic over 1009 keys, shifted by the script's keySeed). */
export const keyOf = (index: number, keySeed: number) => `k${(index * 7919 + keySeed) % 1009}`;

/**
 * The shape of the run that once failed "enqueued out of order": one writer knows two segments
 * A [0, .5) and B [.5, 1); A splits, A's upper half merges with B; the next write begins with a
 * key of B (so B's seal is heard first). Run first, as a fast-check example.
 */
export function staleWriterScript(hashToRange: (key: string) => number): Script {
  const first = 10;
  let keySeed = 0;
  while (hashToRange(keyOf(first, keySeed)) < 0.5) keySeed++;
  return {
    segments: 2,
    keySeed,
    oneWriter: true,
    steps: [
      { kind: 'write', n: first },
      { kind: 'split', pick: 0 },
      { kind: 'merge', pick: 1 },
      { kind: 'write', n: 40 },
    ],
  };
}

export interface BuiltStream {
  readonly stream: string;
  /** All events in write order: "e<i>". */
  readonly values: string[];
  /** cuts[0] is the head; cuts[k] is taken after step k. */
  readonly cuts: StreamCut[];
  /** Events before each cut. */
  readonly counts: number[];
  /** What the script did, for a failure's message. */
  readonly log: string[];
}

/** Runs `script` on a new stream; `cutAt` takes a cut (default: the tail from streamInfo). */
export async function buildStream(
  client: SluiceClient,
  stream: string,
  script: Script,
  cutAt: (stream: string) => Promise<StreamCut> = async (s) => (await client.streamInfo(s)).tail,
): Promise<BuiltStream> {
  // One fixed segment split up: a fixed policy of n segments refuses merges below n.
  await client.createStream(stream, { scaling: { type: 'fixed', segments: 1 } });
  for (let k = 1; k < script.segments; k++) {
    const widest = (await client.streamInfo(stream)).segments.sort(
      (a, b) => b.highKey - b.lowKey - (a.highKey - a.lowKey),
    )[0]!;
    const mid = (widest.lowKey + widest.highKey) / 2;
    await client.scaleStream(stream, {
      seal: [widest.segmentId],
      newRanges: [
        [widest.lowKey, mid],
        [mid, widest.highKey],
      ],
    });
  }
  const values: string[] = [];
  const cuts = [(await client.streamInfo(stream)).head];
  const counts = [0];
  const log = [`create ${script.segments}${script.oneWriter ? ', one writer' : ''}`];
  // Kept open across the scalings between writes: its view of the segments is then several
  // scalings old when it writes again, and what it writes is re-routed from sealed segments.
  const shared = script.oneWriter ? client.writer(stream, { serializer: Serializers.utf8() }) : undefined;
  try {
    for (const step of script.steps) {
      if (step.kind === 'write') {
        const from = values.length;
        for (let k = 0; k < step.n; k++) values.push(`e${from + k}`);
        const writer = shared ?? client.writer(stream, { serializer: Serializers.utf8() });
        try {
          await Promise.all(values.slice(from).map((v, k) => writer.write(v, keyOf(from + k, script.keySeed))));
        } finally {
          if (!shared) await writer.close();
        }
        log.push(`write ${step.n}`);
      } else {
        const segments = [...(await client.streamInfo(stream)).segments].sort((a, b) => a.lowKey - b.lowKey);
        if (step.kind === 'split') {
          const s = segments[step.pick % segments.length]!;
          const mid = (s.lowKey + s.highKey) / 2;
          await client.scaleStream(stream, {
            seal: [s.segmentId],
            newRanges: [
              [s.lowKey, mid],
              [mid, s.highKey],
            ],
          });
          log.push(`split ${s.segmentId}`);
        } else if (segments.length >= 2) {
          const i = step.pick % (segments.length - 1);
          const [a, b] = [segments[i]!, segments[i + 1]!];
          await client.scaleStream(stream, { seal: [a.segmentId, b.segmentId], newRanges: [[a.lowKey, b.highKey]] });
          log.push(`merge ${a.segmentId}+${b.segmentId}`);
        } else log.push('merge (one segment: skipped)');
      }
      cuts.push(await cutAt(stream));
      counts.push(values.length);
    }
  } finally {
    await shared?.close();
  }
  return { stream, values, cuts, counts, log };
}

/** Sorted copy (multisets compare as sorted arrays). */
export const sorted = (xs: readonly string[]) => [...xs].sort();
