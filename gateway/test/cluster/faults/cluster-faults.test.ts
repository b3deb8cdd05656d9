/**
 * Fault scenarios on the real multi-process cluster (`pnpm faults`, `pnpm faults --full`; not part
 * of `./sluice test`): a segment store SIGKILLed, a controller SIGKILLed, the bookie restarted,
 * the whole cluster stopped and started — SLUICE_CLUSTER_CYCLES times each (1 by default, 20 with
 * --full) while at-least-once writers, a transactional writer and a live reader run through one
 * gateway. Afterwards everything is read back from the head: no acknowledged event may be lost,
 * none read twice or out of its key's order (by the final read or by the live reader), and
 * nothing of an aborted transaction may show; a transaction whose outcome was unknown must show
 * all of its events or none.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { check } from '../../faults/checker.js';
import { reportScenario } from '../../faults/report.js';
import { uniqueName } from '../../helpers/names.js';
import { useGateway } from '../../helpers/setup.js';
import { restartWholeCluster, testCluster } from '../helpers/cluster.js';
import { readAll } from '../helpers/streams.js';
import { resolveOutcomes, transactionVisibility } from '../helpers/transactions.js';
import { type Load, startLoad } from './load.js';

const CYCLES = Number(process.env.SLUICE_CLUSTER_CYCLES ?? 1);
const cluster = testCluster();
const fixture = useGateway('cfaults');
const log = (line: string) => console.log(`[cluster-faults] ${line}`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

// Whatever happened, the cluster is left whole and settled.
afterAll(async () => {
  await cluster.start();
  await cluster.waitForContainers();
}, 600_000);

/** Waits until the load made `more` progress (acks, finished transactions); throws after `waitMs`. */
async function progressed(load: Load, more: number, waitMs = 240_000): Promise<number> {
  const started = Date.now();
  const target = load.progress() + more;
  while (load.progress() < target) {
    if (Date.now() - started > waitMs)
      throw new Error(`no progress for ${secs(waitMs)}: ${load.progress()} of ${target} (acks + transactions)`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Date.now() - started;
}

/** One fault; returns what to print on the cycle's progress line. */
type Fault = (cycle: number, load: Load) => Promise<string>;

async function scenario(name: string, fault: Fault): Promise<void> {
  const { client } = fixture;
  const stream = uniqueName('cf');
  await client.createStream(stream, { scaling: { type: 'fixed', segments: 6 } });
  const load = startLoad(client, stream, { writers: 2, ratePerWriter: 150, eventsPerTxn: 20 });
  const started = Date.now();
  try {
    await progressed(load, 300);
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      const t0 = Date.now();
      const what = await fault(cycle, load);
      // The load goes on after each fault: the cluster serves again.
      const resumed = await progressed(load, 300);
      const committed = load.txns.filter((t) => t.outcome === 'committed').length;
      log(
        `${name} ${cycle}/${CYCLES}: ${what}; cycle ${secs(Date.now() - t0)} (+${secs(resumed)} to 300 more acks); ` +
          `${load.acked.size.toLocaleString('en')} acked of ${load.attempted.length.toLocaleString('en')}, ` +
          `${committed}/${load.txns.length} txns committed, live reader ${load.liveRead.length.toLocaleString('en')}` +
          (load.writeErrors.size ? `, write errors ${JSON.stringify(Object.fromEntries(load.writeErrors))}` : ''),
      );
    }
  } finally {
    await load.stop();
  }

  // Transactions whose commit or abort did not answer: ask now that the cluster is whole.
  await resolveOutcomes(client, stream, load.txns);
  const final = await readAll(client, stream);
  await load.closeReader(final.length, 120_000);

  const { committedEvents, abortedVisible, partial } = transactionVisibility(load.txns, new Set(final));
  const acked = new Set([...load.acked, ...committedEvents]);
  // Events of the transactions aborted on purpose are no writes that could be lost (nor 'unseen').
  const attempted = [...load.attempted, ...load.txns.filter((t) => !t.doomed).flatMap((t) => t.events)];
  const result = check(attempted, acked, final);
  const live = check(attempted, acked, load.liveRead);
  // A transaction of unknown outcome shows all of its events or none: a part is counted with the aborted-visible.
  const row = {
    scenario: `cluster: ${name}`,
    cycles: CYCLES,
    events: attempted.length,
    lostAcked: result.lostAcked.length,
    duplicate: result.duplicate.length + live.duplicate.length,
    reorderedWithinKey: result.reorderedWithinKey.length + live.reorderedWithinKey.length,
    abortedVisible: abortedVisible + partial,
    unseen: result.unseen,
  };
  reportScenario(row);
  const outcomes = new Map<string, number>();
  for (const t of load.txns) outcomes.set(t.outcome, (outcomes.get(t.outcome) ?? 0) + 1);
  log(
    `${name} done in ${secs(Date.now() - started)}: ${JSON.stringify(row)}; live reader ${load.liveRead.length} of ` +
      `${final.length} (missed acked ${live.lostAcked.length}, errors ${JSON.stringify(load.readerErrors)}); ` +
      `transactions ${JSON.stringify(Object.fromEntries(outcomes))}; write errors ${JSON.stringify(Object.fromEntries(load.writeErrors))}`,
  );
  expect(result.lostAcked).toEqual([]);
  expect(result.duplicate).toEqual([]);
  expect(result.reorderedWithinKey).toEqual([]);
  expect(abortedVisible).toBe(0);
  expect(partial).toBe(0);
  // The live reader followed the faults: nothing twice, nothing out of order, nothing acked missed.
  expect(load.readerErrors).toEqual([]);
  expect(live.duplicate).toEqual([]);
  expect(live.reorderedWithinKey).toEqual([]);
  expect(live.lostAcked).toEqual([]);
  expect(load.txns.some((t) => t.outcome === 'committed')).toBe(true);
}

describe(`cluster fault scenarios, ${CYCLES} cycle(s) each`, () => {
  it('segment store SIGKILLed (each store in turn) and started again', async () => {
    await cluster.waitForContainers();
    await scenario('segment store SIGKILL', async (cycle, load) => {
      const victim = `segmentstore-${((cycle - 1) % 3) + 1}`;
      const t0 = Date.now();
      await cluster.kill(victim);
      await cluster.waitForContainers();
      const moved = Date.now() - t0;
      // Writes go on with one store down, on the survivors.
      await progressed(load, 200);
      const down = Date.now() - t0;
      await cluster.start(victim);
      await cluster.waitForContainers();
      return `${victim} killed, containers moved in ${secs(moved)}, 200 acks while down (${secs(down)}), back in ${secs(Date.now() - t0 - down)}`;
    });
  }, 7_200_000);

  it('controller SIGKILLed (each in turn) and started again', async () => {
    await scenario('controller SIGKILL', async (cycle, load) => {
      const victim = `controller-${((cycle - 1) % 2) + 1}`;
      const t0 = Date.now();
      await cluster.kill(victim);
      // Writes and transactions (begin and commit ask a controller) go on with one controller.
      const committed = () => load.txns.filter((t) => t.outcome === 'committed').length;
      const before = committed();
      await progressed(load, 200);
      while (committed() <= before) {
        if (Date.now() - t0 > 240_000) throw new Error(`no transaction committed with ${victim} down`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const down = Date.now() - t0;
      await cluster.start(victim);
      return `${victim} killed, 200 acks and a commit while down (${secs(down)}), back in ${secs(Date.now() - t0 - down)}`;
    });
  }, 7_200_000);

  it('bookie restarted', async () => {
    await scenario('bookie restart', async () => {
      const t0 = Date.now();
      await cluster.restart('bookie-1');
      const restarted = Date.now() - t0;
      await cluster.waitReady();
      await cluster.waitForContainers();
      return `bookie-1 restarted in ${secs(restarted)}, cluster ready after ${secs(Date.now() - t0)}`;
    });
  }, 7_200_000);

  it('whole cluster stopped and started again on its data', async () => {
    await scenario('whole-cluster restart', async () => {
      const { stoppedMs, startedMs } = await restartWholeCluster(cluster);
      return `stopped in ${secs(stoppedMs)}, started and settled in ${secs(startedMs)}`;
    });
  }, 7_200_000);
});
