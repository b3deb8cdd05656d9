/**
 * The dashboard's live table (latest event per key of its stream, checkpointed in IndexedDB) is
 * reloaded three times while a Node writer keeps writing: each reload restores the table from its
 * checkpoint without reading the stream again, and no event is applied twice — every page load
 * applies each key's events in sequence from right after what it restored, and the last load's
 * restored events plus the events it applied are exactly the events written.
 */
import { Serializers } from '@sluice/sdk';
import { expect, test } from '../helpers/fixtures.js';

const KEYS = 8;
const RELOADS = 3;

interface Restored {
  checkpointId: number;
  appliedAtStart: number;
  entries: Array<[string, string]>;
}
interface Load {
  restored: Restored;
  changes: Array<{ key: string; value: string }>;
}

const seqOf = (value: string) => Number(value.split('|')[2]);

test('a live table restored from IndexedDB after reloads mid-stream applies no event twice', async ({
  page,
  sdk,
  probe,
  dashboardUrl,
}) => {
  await sdk.createStream('sensors', { scaling: { type: 'fixed', segments: 3 } });
  // The writer: "node|key-j|seq" with a sequence per key, routing key key-j (so per-key order holds).
  const writer = sdk.writer('sensors', { serializer: Serializers.utf8() });
  const written = Array.from({ length: KEYS }, () => 0);
  let stop = false;
  const writeBatch = async () => {
    const acks: Array<Promise<void>> = [];
    for (let j = 0; j < KEYS; j++) acks.push(writer.write(`node|key-${j}|${written[j]!++}`, `key-${j}`));
    await Promise.all(acks);
  };
  for (let b = 0; b < 50; b++) await writeBatch();
  // Then on, paced (about 400 events/s), until the reloads are done: every reload is mid-stream.
  const writing = (async () => {
    while (!stop) {
      await writeBatch();
      await new Promise((r) => setTimeout(r, 20));
    }
  })();

  await page.goto(dashboardUrl('sensors'));
  const panel = page.getByTestId('live-table');
  const attr = async (name: string) => Number((await panel.getAttribute(name)) ?? 0);
  for (let r = 0; r < RELOADS; r++) {
    // Reload once this load applied events and saved a checkpoint of its own.
    await expect.poll(() => attr('data-applied')).toBeGreaterThan(0);
    const restoredFrom = await attr('data-restored-from');
    await expect.poll(() => attr('data-checkpoint')).toBeGreaterThan(restoredFrom);
    await page.reload();
  }
  stop = true;
  await writing;
  await writer.close();
  const total = written.reduce((a, b) => a + b, 0);

  // The last load shows every key's latest event.
  const rows = page.getByTestId('live-table-rows').locator('tr');
  await expect(rows).toHaveCount(KEYS);
  for (let j = 0; j < KEYS; j++)
    await expect(page.locator(`#live-table-rows tr[data-key="key-${j}"] td`).nth(1)).toHaveText(
      `node|key-${j}|${written[j]! - 1}`,
    );

  const loads = (): Load[] => {
    const out: Load[] = [];
    for (const { kind, data } of probe.reports) {
      if (kind === 'live-table-restored') out.push({ restored: data as Restored, changes: [] });
      else if (kind === 'live-table-changes') out.at(-1)?.changes.push(...(data as Load['changes']));
    }
    return out;
  };
  // Every change of the last load reported.
  await expect.poll(async () => loads().at(-1)?.changes.length).toBe(await attr('data-applied'));
  const all = loads();
  expect(all).toHaveLength(RELOADS + 1);
  expect(all[0]!.restored.checkpointId).toBe(0);

  for (const [n, load] of all.entries()) {
    // Nothing was applied before the restored snapshot was taken: it is the checkpoint's table.
    expect(load.restored.appliedAtStart).toBe(0);
    if (n > 0) expect(load.restored.checkpointId).toBeGreaterThan(0);
    // Per key, this load applied the events right after the restored one, each once, in order.
    const last = new Map(load.restored.entries.map(([k, v]) => [k, seqOf(v)]));
    for (const { key, value } of load.changes) {
      expect(seqOf(value), `load ${n}, ${key}`).toBe((last.get(key) ?? -1) + 1);
      last.set(key, seqOf(value));
    }
  }
  // The last load: what it restored plus what it applied is every event written, once.
  const final = all.at(-1)!;
  const covered = final.restored.entries.reduce((sum, [, v]) => sum + seqOf(v) + 1, 0);
  expect(covered).toBeGreaterThan(0);
  expect(covered + final.changes.length).toBe(total);
  expect(await attr('data-applied')).toBe(total - covered);
  test.info().annotations.push({
    type: 'live table',
    description: `${total} events written; the last load restored ${covered} from checkpoint #${final.restored.checkpointId} and applied ${final.changes.length}`,
  });
});
