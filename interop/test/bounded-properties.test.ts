/**
 * Bounded reads agree with Java on random streams (writes, splits, merges): every cut is Java's
 * own (`StreamInfo` head and tails as `StreamCut.asText()`, taken by one serving JVM after every
 * step — offset 0 at the head, the tail, and mid-stream after scaling), and between a random pair
 * of them the SDK reader, readBatch and Java's batch client read the same multiset, which is
 * exactly what was written between the two. SLUICE_BOUNDED_JAVA_RUNS sets the runs (4 by default: each starts two JVMs).
 */
import { Serializers, StreamCut } from '@sluice/sdk';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildStream, scriptArb, sorted } from '../../gateway/test/bounded/random-streams.js';
import { uniqueName } from '../../gateway/test/helpers/names.js';
import { useGateway } from '../../gateway/test/helpers/setup.js';
import { type JsonLine, javaPeer, spawnJavaPeer, streamArgs } from './java-peer.js';

const RUNS = Number(process.env.SLUICE_BOUNDED_JAVA_RUNS ?? 4);
const fx = useGateway('jprop');

/** A JVM that prints the stream's cuts each time it is asked. */
async function cutServer(stream: string) {
  const peer = spawnJavaPeer(['serve-cuts', ...streamArgs(fx.scope, stream)], { stdin: true });
  const lines = peer[Symbol.asyncIterator]();
  const next = async (): Promise<JsonLine> => {
    const r = await lines.next();
    if (r.done) throw new Error(`serve-cuts ended early:\n${peer.stderrTail()}`);
    return r.value;
  };
  await next(); // {"ready":true}
  return {
    async cut(): Promise<{ head: string; tail: string }> {
      peer.child.stdin!.write('cut\n');
      return (await next()) as { head: string; tail: string };
    },
    async close() {
      peer.child.stdin!.end();
      await peer.exited;
    },
  };
}

describe('bounded reads agree with Java on random streams', () => {
  it(`between random pairs of Java's cuts (${RUNS} streams)`, async () => {
    await fc.assert(
      fc.asyncProperty(scriptArb, fc.tuple(fc.nat(), fc.nat()), async (script, pair) => {
        const stream = uniqueName('j');
        // The JVM connects once the stream exists: the first cut request creates it below.
        let server: Awaited<ReturnType<typeof cutServer>> | undefined;
        let javaHead: string | undefined;
        try {
          const built = await buildStream(fx.client, stream, script, async () => {
            server ??= await cutServer(stream);
            const c = await server.cut();
            javaHead ??= c.head;
            return StreamCut.fromText(c.tail);
          });
          const cuts = [await StreamCut.fromText(javaHead!), ...built.cuts.slice(1)];
          const [i, j] = [pair[0] % cuts.length, pair[1] % cuts.length].sort((a, b) => a - b) as [number, number];
          const expected = sorted(built.values.slice(built.counts[i], built.counts[j]));
          const why = `${built.log.join(', ')}; cuts ${i}..${j}`;
          const [from, to] = [cuts[i]!, cuts[j]!];

          const sdk: string[] = [];
          for await (const ev of fx.client.reader(stream, { serializer: Serializers.utf8(), from, to }))
            sdk.push(ev.value);
          expect(sorted(sdk), why).toEqual(expected);
          const batch: string[] = [];
          for await (const ev of fx.client.readBatch(stream, { from, to, serializer: Serializers.utf8() }))
            batch.push(ev.value);
          expect(sorted(batch), why).toEqual(expected);
          const java = await javaPeer([
            'read-batch',
            ...streamArgs(fx.scope, stream),
            '--from',
            await from.toText(),
            '--to',
            await to.toText(),
          ]);
          expect(
            sorted(java.filter((l) => typeof l.payload === 'string').map((l) => l.payload as string)),
            why,
          ).toEqual(expected);
        } finally {
          await server?.close();
        }
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
  }, 900_000);
});
