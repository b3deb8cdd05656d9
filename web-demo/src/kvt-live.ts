/**
 * The key-value table panel's live line: the open table as a live table (the same `LiveTable` the
 * stream's panel uses, fed by the key-value table: its snapshot, then the changes that polling
 * finds), so a change made elsewhere — another tab, Java — shows without listing again.
 */
import type { KeyValueTable, LiveTable, SluiceClient } from '@sluice/sdk';
import { SluiceError } from '@sluice/sdk';
import { byId, fmt } from './dom.js';

const POLL_MS = 1000;

/** Follows `kvt` until the returned close is called. */
export function followKeyValueTable(client: SluiceClient, kvt: KeyValueTable<string, string>): () => Promise<void> {
  const line = byId('kvt-live');
  const table: LiveTable<string> = client.table(kvt, { pollMs: POLL_MS });
  const show = (last?: string) => {
    line.dataset.keys = String(table.size);
    if (last) line.dataset.lastChange = last;
    line.textContent = `live (polling every ${POLL_MS / 1000} s): ${fmt.format(table.size)} keys${last ? `; last change: ${last}` : ''}`;
  };
  void (async () => {
    try {
      const changes = table.changes();
      await table.whenReady();
      show();
      for await (const c of changes) show(c.type === 'put' ? `put ${c.key} = ${c.value}` : `delete ${c.key}`);
    } catch (err) {
      const e = SluiceError.from(err);
      if (e.code !== 'cancelled') line.textContent = `live view stopped — ${e.code}: ${e.message}`;
    }
  })();
  return () => table.close();
}
