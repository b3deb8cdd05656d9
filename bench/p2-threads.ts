/**
 * Where P2's CPU goes, per side and per segment-store thread group: rounds of Java's
 * `bench-write` and Sluice's writer (10 KiB events, 4 segments, as P2), one after the other, on the bench's
 * own standalone. Over each side's *timed* part it prints MB/s, the client's CPU per MB (Sluice:
 * SDK process and gateway apart), the store's CPU per MB during the phase and after it (until the
 * store is quiet), and the store's CPU per MB by thread group (its JIT compiler threads, `core-#`
 * operation processing, `nioEventLoopGro` network, `storage-io-#` storage writer, GC threads…).
 *
 *   node --import tsx bench/p2-threads.ts [--rounds 6] [--events 30000] [--order java-first|sluice-first|alternate]
 *
 * --order: which side writes first in each round (default java-first; alternate: Java first in odd
 * rounds). A diagnostic, not part of `pnpm bench`: it reads /proc, so Linux only.
 */
import { parseArgs } from 'node:util';
import { GatewayProcess } from '../gateway/test/helpers/gateway-process.js';
import { uniqueName } from '../gateway/test/helpers/names.js';
import { connectSdk } from '../gateway/test/helpers/sdk.js';
import { spawnJavaPeer } from '../interop/test/java-peer.js';
import { ensurePravega, pravegaStatus } from '../scripts/pravega-lib.mjs';
import { OWN_STANDALONE } from './own-standalone.js';
import { processCpuMs } from './proc-cpu.js';
import { settle } from './settle.js';
import { type ThreadCpu, threadCpu, threadGroupDelta } from './thread-cpu.js';
import { sluiceWrite } from './workloads/sluice-write.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '6' },
    events: { type: 'string', default: '30000' },
    order: { type: 'string', default: 'java-first' },
  },
});
const ORDERS = ['java-first', 'sluice-first', 'alternate'];
if (!ORDERS.includes(values.order)) throw new Error(`--order must be one of ${ORDERS.join(', ')}`);
const rounds = Number(values.rounds);
const events = Number(values.events);
const warmup = Math.ceil(events / 5);
const timedMB = (events * 10240) / 1e6;
const log = (line: string) => console.log(`[p2-threads] ${line}`);

/** CPU readings at one instant. */
interface Reading {
  store: number;
  threads: ThreadCpu;
  sdk: number;
  gateway: number;
}

const pravega = await ensurePravega({ log: (l: string) => console.log(`[pravega] ${l}`), ...OWN_STANDALONE });
// Undone in reverse on the way out, after a failure too: no gateway or standalone lease left behind.
const cleanup: Array<() => Promise<void>> = [() => pravega.release()];
try {
  const found = (await pravegaStatus(OWN_STANDALONE)).state?.pid as number | undefined;
  if (found === undefined) throw new Error('cannot find the standalone process');
  const storePid = found; // a number in the phases' functions below too
  const scope = uniqueName('threads');
  const gateway = await GatewayProcess.start([
    '--controller',
    pravega.controllerUri,
    '--scope',
    scope,
    '--log-level',
    'warn',
  ]);
  cleanup.push(() => gateway.stop());
  const client = await connectSdk(gateway.url, scope);
  cleanup.push(() => client.close());
  await client.createScope(scope);

  const read = (): Reading => {
    const store = processCpuMs(storePid) ?? 0;
    const threads = threadCpu(storePid);
    const gatewayMs = processCpuMs(gateway.pid!) ?? 0;
    // Last, so that reading /proc is charged to the SDK process as little as possible.
    const own = process.cpuUsage();
    return { store, threads, sdk: (own.user + own.system) / 1000, gateway: gatewayMs };
  };

  /** One line per side and round: its figures over the timed part, then the store's thread groups. */
  async function report(side: string, mbPerSec: number, clientMs: string, start: Reading, end: Reading) {
    await settle(storePid);
    const after = (processCpuMs(storePid) ?? 0) - end.store;
    const perMB = (ms: number) => (ms / timedMB).toFixed(2);
    log(
      `${side.padEnd(6)} ${mbPerSec.toFixed(0)} MB/s; client ${clientMs} ms/MB; store ${perMB(end.store - start.store)} ms/MB during, ${perMB(after)} after`,
    );
    const groups = threadGroupDelta(start.threads, end.threads)
      .slice(0, 8)
      .map(([name, ms]) => `${name} ${perMB(ms)}`);
    log(`       store threads, ms/MB: ${groups.join(', ')}`);
  }

  async function javaPhase(): Promise<void> {
    await settle(storePid);
    const stream = uniqueName('java');
    await client.createStream(stream, { scaling: { type: 'fixed', segments: 4 } });
    const peer = spawnJavaPeer([
      ...['bench-write', '--controller', pravega.controllerUri, '--scope', scope, '--stream', stream],
      ...['--count', String(events), '--size', '10240', '--keys', '100', '--warmup', String(warmup)],
    ]);
    let start: Reading | undefined;
    let end: Reading | undefined;
    let result: { mbPerSec: number; cpuMs: number } | undefined;
    for await (const line of peer) {
      if (line.timing === 'started') start = read();
      else if (typeof line.mbPerSec === 'number') {
        end = read();
        result = line as unknown as { mbPerSec: number; cpuMs: number };
      }
    }
    if (!start || !end || !result) throw new Error('the Java peer did not report its timed part');
    await report('Java', result.mbPerSec, (result.cpuMs / timedMB).toFixed(2), start, end);
    await client.sealStream(stream);
    await client.deleteStream(stream);
  }

  async function sluicePhase(): Promise<void> {
    await settle(storePid);
    const stream = uniqueName('sluice');
    await client.createStream(stream, { scaling: { type: 'fixed', segments: 4 } });
    const readings: Reading[] = [];
    // sluiceWrite reads the CPU clock when its timed part starts and when it ends.
    const cpuMs = () => {
      readings.push(read());
      return 0;
    };
    const { eventsPerSec } = await sluiceWrite(client, stream, {
      count: events,
      size: 10240,
      keys: 100,
      warmup,
      cpuMs,
    });
    const [start, end] = readings as [Reading, Reading];
    const sdk = (end.sdk - start.sdk) / timedMB;
    const gw = (end.gateway - start.gateway) / timedMB;
    const clientMs = `${(sdk + gw).toFixed(2)} (SDK ${sdk.toFixed(2)} + gateway ${gw.toFixed(2)})`;
    await report('Sluice', (eventsPerSec * 10240) / 1e6, clientMs, start, end);
    await client.sealStream(stream);
    await client.deleteStream(stream);
  }

  for (let round = 1; round <= rounds; round++) {
    log(`round ${round} of ${rounds}`);
    const sluiceFirst = values.order === 'sluice-first' || (values.order === 'alternate' && round % 2 === 0);
    if (sluiceFirst) {
      await sluicePhase();
      await javaPhase();
    } else {
      await javaPhase();
      await sluicePhase();
    }
  }
} finally {
  for (const step of cleanup.reverse()) await step().catch((err: unknown) => console.error(err));
}
