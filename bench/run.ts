/**
 * `pnpm bench`: Sluice next to Pravega's Java client on the same standalone, in the same run.
 * Phases interleave (Java, Sluice, Java, Sluice, …), each on a fresh stream, both sides warmed
 * up first; the table shows medians and the ratio Sluice ÷ Java. Results: bench/results/*.json.
 *
 *   pnpm bench [--only P1,P6] [--events 100000] [--size 100] [--txns 50] [--rounds 3]
 *
 * P1: acknowledged events/s, 100-byte events, SDK in Node → gateway → Pravega vs EventStreamWriter.
 * P6: commits/s of 100-event transactions, each until Pravega reports it committed, vs
 *     TransactionalEventStreamWriter.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { SluiceClient } from '@sluice/sdk';
import { GatewayProcess } from '../gateway/test/helpers/gateway-process.js';
import { uniqueName } from '../gateway/test/helpers/names.js';
import { connectSdk } from '../gateway/test/helpers/sdk.js';
import { javaPeer } from '../interop/test/java-peer.js';
import { ensurePravega } from '../scripts/pravega-lib.mjs';
import { sluiceTxns } from './workloads/sluice-txn.js';
import { sluiceWrite } from './workloads/sluice-write.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: 'P1,P6' },
    events: { type: 'string', default: '100000' },
    size: { type: 'string', default: '100' },
    txns: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
  },
});
const only = new Set(values.only.split(','));
const events = Number(values.events);
const size = Number(values.size);
const txns = Number(values.txns);
const rounds = Number(values.rounds);
const log = (line: string) => console.log(`[bench] ${line}`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Workload {
  id: string;
  title: string;
  unit: string;
  java: () => Promise<number>;
  sluice: () => Promise<number>;
}

async function main(): Promise<void> {
  const pravega = await ensurePravega({ log: (l: string) => console.log(`[pravega] ${l}`) });
  const controller = pravega.controllerUri;
  const scope = uniqueName('bench');
  const gateway = await GatewayProcess.start(['--controller', controller, '--scope', scope, '--log-level', 'warn']);
  const client: SluiceClient = await connectSdk(gateway.url, scope);
  await client.createScope(scope);

  const javaStream = async () => {
    const stream = uniqueName('java');
    await javaPeer([
      'create-stream',
      '--controller',
      controller,
      '--scope',
      scope,
      '--stream',
      stream,
      '--segments',
      '4',
    ]);
    return stream;
  };
  const sluiceStream = async () => {
    const stream = uniqueName('sluice');
    await client.createStream(stream, { scaling: { type: 'fixed', segments: 4 } });
    return stream;
  };
  const common = (stream: string) => ['--controller', controller, '--scope', scope, '--stream', stream];

  const workloads: Workload[] = [
    {
      id: 'P1',
      title: `acked events/s, ${size} B events`,
      unit: 'events/s',
      java: async () => {
        const lines = await javaPeer(
          [
            'bench-write',
            ...common(await javaStream()),
            '--count',
            String(events),
            '--size',
            String(size),
            '--keys',
            '100',
          ],
          { timeoutMs: 600_000 },
        );
        return (lines.at(-1) as { eventsPerSec: number }).eventsPerSec;
      },
      sluice: async () => {
        const stream = await sluiceStream();
        await sluiceWrite(client, stream, Math.min(events, 20_000), size, 100); // warm-up on the same stream
        return sluiceWrite(client, stream, events, size, 100);
      },
    },
    {
      id: 'P6',
      title: `commits/s, transactions of 100 × ${size} B events`,
      unit: 'commits/s',
      java: async () => {
        const lines = await javaPeer(
          [
            'bench-txn',
            ...common(await javaStream()),
            '--txns',
            String(txns),
            '--events',
            '100',
            '--size',
            String(size),
          ],
          { timeoutMs: 600_000 },
        );
        return (lines.at(-1) as { commitsPerSec: number }).commitsPerSec;
      },
      sluice: async () => sluiceTxns(client, await sluiceStream(), txns, 100, size, 5),
    },
  ].filter((w) => only.has(w.id));

  const results: Array<{ id: string; title: string; unit: string; java: number[]; sluice: number[]; ratio: number }> =
    [];
  for (const w of workloads) {
    log(`${w.id}: ${w.title}; ${rounds} rounds, Java and Sluice interleaved`);
    const java: number[] = [];
    const sluice: number[] = [];
    for (let r = 1; r <= rounds; r++) {
      java.push(await w.java());
      log(`${w.id} round ${r}: Java   ${Math.round(java.at(-1)!).toLocaleString()} ${w.unit}`);
      sluice.push(await w.sluice());
      log(`${w.id} round ${r}: Sluice ${Math.round(sluice.at(-1)!).toLocaleString()} ${w.unit}`);
    }
    results.push({ id: w.id, title: w.title, unit: w.unit, java, sluice, ratio: median(sluice) / median(java) });
  }

  console.log('\n| workload | Java (median) | Sluice (median) | Sluice ÷ Java |');
  console.log('|---|---|---|---|');
  for (const r of results) {
    console.log(
      `| ${r.id} ${r.title} | ${Math.round(median(r.java)).toLocaleString()} | ${Math.round(median(r.sluice)).toLocaleString()} | ${r.ratio.toFixed(2)}× |`,
    );
  }
  const date = new Date().toISOString();
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const file = new URL(`./results/bench-${date.replace(/[:.]/g, '-')}.json`, import.meta.url);
  writeFileSync(file, `${JSON.stringify({ date, events, size, txns, rounds, results }, null, 2)}\n`);
  log(`wrote ${file.pathname}`);

  await client.close();
  await gateway.stop();
  await pravega.release();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
