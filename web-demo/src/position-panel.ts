/**
 * The reader's position per segment next to the last checkpoint as IndexedDB holds it, so a
 * person sees the reader move ahead and the checkpoint catch up.
 */
import type { Checkpoint, ReaderPosition } from '@sluice/sdk';
import { byId, el, fmt, segmentName } from './dom.js';
import type { DashboardState } from './live-reader.js';

function offsetsOf(json: Checkpoint['position'] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of json?.streams ?? []) for (const [id, off] of s.segments) out.set(id, off);
  return out;
}

export function renderPosition(position: ReaderPosition, stored: Checkpoint | undefined): void {
  const checkpointed = offsetsOf(stored?.position);
  const rows: HTMLElement[] = [];
  for (const [, s] of position.streams) {
    for (const [id, offset] of [...s.segments].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const cp = checkpointed.get(id.toString());
      const behind = cp === undefined ? '' : fmt.format(offset - BigInt(cp));
      rows.push(
        el(
          'tr',
          {},
          el('td', {}, segmentName(id)),
          el('td', { class: 'num' }, fmt.format(offset)),
          el('td', { class: 'num' }, cp === undefined ? '—' : fmt.format(BigInt(cp))),
          el('td', { class: 'num muted' }, behind),
        ),
      );
    }
    for (const [id, waiting] of s.future)
      rows.push(
        el(
          'tr',
          { class: 'muted' },
          el('td', {}, segmentName(id)),
          el('td', { colspan: '3' }, `waits for ${waiting.map((w) => segmentName(BigInt(w))).join(', ')}`),
        ),
      );
  }
  byId('position-rows').replaceChildren(...rows);
}

export function renderCheckpoint(stored: Checkpoint | undefined): void {
  const box = byId('checkpoint');
  if (!stored) {
    box.replaceChildren(el('p', { class: 'muted' }, 'No checkpoint yet in IndexedDB.'));
    return;
  }
  const state = stored.state as DashboardState | undefined;
  box.replaceChildren(
    el(
      'dl',
      {},
      el('dt', {}, 'checkpoint'),
      el('dd', { 'data-testid': 'checkpoint-id' }, `#${stored.id}`),
      el('dt', {}, 'saved'),
      el('dd', {}, new Date(stored.savedAt).toLocaleTimeString()),
      el('dt', {}, 'events counted'),
      el('dd', { 'data-testid': 'checkpoint-total' }, fmt.format(state?.total ?? 0)),
    ),
    el('pre', { class: 'json' }, JSON.stringify({ id: stored.id, savedAt: stored.savedAt, position: stored.position })),
  );
}
