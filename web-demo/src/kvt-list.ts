/**
 * The key-value table panel's listing: entries whose key starts with a prefix, a page at a time
 * (the SDK's paged iteration), continued from the last page's continuation token.
 */
import type { KeyValueTable, TableEntry } from '@sluice/sdk';
import { el } from './dom.js';

export const PAGE = 10;

export interface Page {
  entries: Array<TableEntry<string, string>>;
  /** Where the next page starts (undefined: this was the last). */
  next: string | undefined;
}

export async function readPage(kvt: KeyValueTable<string, string>, prefix: string, after?: string): Promise<Page> {
  const it = kvt.entries({
    ...(prefix ? { prefix: new TextEncoder().encode(prefix) } : {}),
    ...(after ? { after } : {}),
    pageSize: PAGE + 1,
  });
  const entries: Array<TableEntry<string, string>> = [];
  let afterPage: string | undefined;
  let next: string | undefined;
  for await (const e of it) {
    if (entries.length === PAGE) {
      // One entry more exists: the next page starts after this page's last entry.
      next = afterPage;
      break;
    }
    entries.push(e);
    if (entries.length === PAGE) afterPage = it.continuationToken();
  }
  return { entries, next };
}

export function pageRows(page: Page, onPick: (e: TableEntry<string, string>) => void): HTMLTableRowElement[] {
  return page.entries.map((e) => {
    const row = el(
      'tr',
      { 'data-key': e.key, 'data-version': e.version, class: 'pick' },
      el('td', {}, e.key),
      el('td', {}, e.value),
      el('td', { class: 'num' }, e.version),
    );
    row.onclick = () => onPick(e);
    return row;
  });
}
