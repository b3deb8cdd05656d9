/**
 * The live table panel: the latest event per routing key of the dashboard's stream, as the SDK's
 * live table keeps it, checkpointed (table and position in one IndexedDB transaction) every
 * second. A reload restores the table from the checkpoint and reads on from right after it: the
 * panel says how many keys it restored and how many events this page load applied.
 */
import { checkpointStores, Serializers, type SluiceClient, SluiceError } from '@sluice/sdk';
import { byId, el, fmt, setText } from './dom.js';
import { parseEvent } from './event-format.js';
import { report } from './probe.js';

const CHECKPOINT_EVERY_MS = 1000;
const SHOWN = 24;

export async function liveTablePanel(client: SluiceClient, stream: string): Promise<void> {
  const store = checkpointStores.indexedDb('sluice-dashboard');
  const table = client.table(stream, {
    key: (ev) => parseEvent(ev.value).key,
    serializer: Serializers.utf8(),
    checkpoints: store,
    checkpointEveryMs: 0, // this panel checkpoints itself, to show each one
  });
  // Subscribed before anything is read, so that every event this page load applies is seen.
  const changes = table.changes();
  await table.whenReady();
  // Taken together, before anything else can be applied: the checkpoint's table, exactly.
  const restored = table.snapshot();
  const appliedAtStart = table.eventsApplied;
  const checkpointKey = `table:${table.stream}`;
  const resumed = await store.load(checkpointKey);
  const panel = byId('live-table');
  panel.dataset.restoredKeys = String(restored.size);
  panel.dataset.restoredFrom = String(resumed?.id ?? 0);
  setText(
    'live-table-resume',
    resumed
      ? `Restored ${fmt.format(restored.size)} keys from checkpoint #${resumed.id} in IndexedDB: reading on right after its last event, none applied twice.`
      : 'No checkpoint yet: building the table from the head of the stream.',
  );
  report('live-table-restored', {
    checkpointId: resumed?.id ?? 0,
    appliedAtStart,
    entries: [...restored],
  });

  let pending: Array<{ key: string; value: string }> = [];
  let dirty = true;
  const flush = () => {
    if (pending.length) report('live-table-changes', pending);
    pending = [];
  };
  const render = () => {
    panel.dataset.applied = String(table.eventsApplied);
    panel.dataset.keys = String(table.size);
    setText(
      'live-table-stats',
      `${fmt.format(table.size)} keys, ${fmt.format(table.eventsApplied)} events applied by this page load`,
    );
    const rows = [...table.snapshot()]
      .sort((a, b) => a[0].localeCompare(b[0], 'en', { numeric: true }))
      .slice(0, SHOWN);
    byId('live-table-rows').replaceChildren(
      ...rows.map(([k, v]) => el('tr', { 'data-key': k }, el('td', {}, k), el('td', {}, v))),
    );
  };
  setInterval(() => {
    flush();
    if (dirty) render();
    dirty = false;
  }, 250);
  setInterval(async () => {
    try {
      // Every change reported is one the checkpoint may cover (tests rely on the order).
      flush();
      await table.checkpoint();
      const saved = await store.load(checkpointKey);
      if (saved) {
        panel.dataset.checkpoint = String(saved.id);
        setText(
          'live-table-checkpoint',
          `checkpoint #${saved.id} saved ${new Date(saved.savedAt).toLocaleTimeString()}`,
        );
      }
    } catch (err) {
      setText('live-table-checkpoint', `checkpoint failed — ${SluiceError.from(err).message}`);
    }
  }, CHECKPOINT_EVERY_MS);
  try {
    for await (const c of changes) {
      if (c.type === 'put') pending.push({ key: c.key, value: c.value });
      dirty = true;
    }
  } catch (err) {
    const e = SluiceError.from(err);
    setText('live-table-stats', `the live table stopped — ${e.code}: ${e.message}`);
  }
}
