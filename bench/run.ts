/**
 * `pnpm bench`: Sluice next to Pravega's Java client on the same standalone, in the same run.
 * Phases interleave (Java, Sluice, Java, Sluice, …), each on a fresh stream; the table shows
 * medians and the ratio Sluice ÷ Java. Results go to bench/results/<date>.json.
 *
 *   pnpm bench [--events 100000] [--size 100] [--rounds 3]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { GatewayProcess } from '../gateway/test/helpers/gateway-process.js';
import { uniqueName } from '../gateway/test/helpers/names.js';
import { connectSdk } from '../gateway/test/helpers/sdk.js';
import { javaPeer } from '../interop/test/java-peer.js';
import { ensurePravega } from '../scripts/pravega-lib.mjs';
import { sluiceWrite } from './workloads/sluice-write.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    size: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
  },
});
const events = Number(values.events);
const size = Number(values.size);
const rounds = Number(values.rounds);
const log = (line: string) => console.log(`[bench] ${line}`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const pravega = await ensurePravega({ log: (l: string) => console.log(`[pravega] ${l}`) });
  const scope = uniqueName('bench');
  const gateway = await GatewayProcess.start([
    '--controller',
    pravega.controllerUri,
    '--scope',
    scope,
    '--log-level',
    'warn',
  ]);
  const client = await connectSdk(gateway.url, scope);
  await client.createScope(scope);
  log(`P1: ${events} acknowledged events of ${size} bytes, 4 segments, 100 keys; ${rounds} rounds, interleaved`);

  // One warm-up each (JIT, connections), not counted.
  log('warm-up…');
  await javaWrite(pravega.controllerUri, scope, Math.min(events, 20_000));
  await sluiceWriteRound(client, Math.min(events, 20_000));

  const java: number[] = [];
  const sluice: number[] = [];
  for (let r = 1; r <= rounds; r++) {
    const j = await javaWrite(pravega.controllerUri, scope, events);
    java.push(j);
    log(`round ${r}: Java   ${Math.round(j).toLocaleString()} events/s`);
    const s = await sluiceWriteRound(client, events);
    sluice.push(s);
    log(`round ${r}: Sluice ${Math.round(s).toLocaleString()} events/s`);
  }
  const result = {
    date: new Date().toISOString(),
    workload: 'P1',
    events,
    size,
    rounds,
    javaEventsPerSec: java,
    sluiceEventsPerSec: sluice,
    javaMedian: median(java),
    sluiceMedian: median(sluice),
    ratio: median(sluice) / median(java),
  };
  console.log('\n| workload | Java (median) | Sluice (median) | Sluice ÷ Java |');
  console.log('|---|---|---|---|');
  console.log(
    `| P1 acked events/s, ${size} B | ${Math.round(result.javaMedian).toLocaleString()} | ${Math.round(result.sluiceMedian).toLocaleString()} | ${result.ratio.toFixed(2)}× |`,
  );
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const file = new URL(`./results/p1-${result.date.replace(/[:.]/g, '-')}.json`, import.meta.url);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  log(`wrote ${file.pathname}`);

  await client.close();
  await gateway.stop();
  await pravega.release();

  async function javaWrite(controller: string, sc: string, n: number): Promise<number> {
    const stream = uniqueName('java');
    await javaPeer(['create-stream', '--controller', controller, '--scope', sc, '--stream', stream, '--segments', '4']);
    const lines = await javaPeer(
      [
        'bench-write',
        '--controller',
        controller,
        '--scope',
        sc,
        '--stream',
        stream,
        '--count',
        String(n),
        '--size',
        String(size),
        '--keys',
        '100',
      ],
      { timeoutMs: 600_000 },
    );
    const last = lines.at(-1) as { eventsPerSec: number };
    return last.eventsPerSec;
  }

  async function sluiceWriteRound(c: Awaited<ReturnType<typeof connectSdk>>, n: number): Promise<number> {
    const stream = uniqueName('sluice');
    await c.createStream(stream, { scaling: { type: 'fixed', segments: 4 } });
    return sluiceWrite(c, stream, n, size, 100);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
