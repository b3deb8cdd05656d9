/**
 * The key-value table panel: pick or create a table, list its entries by prefix a page at a time,
 * and put / insert / replace / remove one key with the version shown; a conflict says the version
 * the key has now. Pieces: kvt-keys.ts (keys as text), kvt-list.ts (pages), kvt-edit.ts (changes),
 * kvt-live.ts (the table as a live table, so changes made elsewhere show).
 */
import type { KeyValueTable, SluiceClient, TableEntry } from '@sluice/sdk';
import { Serializers, SluiceError } from '@sluice/sdk';
import { initialKeyValueTable, rememberKeyValueTable, scope } from './config.js';
import { byId, el, setText } from './dom.js';
import { applyEdit, type EditOutcome, type KvtOp } from './kvt-edit.js';
import { paddedKeys } from './kvt-keys.js';
import { pageRows, readPage } from './kvt-list.js';
import { followKeyValueTable } from './kvt-live.js';

const input = (id: string) => byId<HTMLInputElement>(id);

function showStatus(o: EditOutcome): void {
  const status = byId('kvt-status');
  status.textContent = o.text;
  status.dataset.kind = o.kind;
  if (o.version !== undefined) status.dataset.version = o.version;
  else delete status.dataset.version;
}

export async function kvtPanel(client: SluiceClient): Promise<void> {
  let kvt: KeyValueTable<string, string> | undefined;
  let after: string | undefined;
  let next: string | undefined;
  let unfollow: (() => Promise<void>) | undefined;
  const select = byId<HTMLSelectElement>('kvt-select');
  const buttons = [...document.querySelectorAll<HTMLButtonElement>('#kvt-panel button[data-needs-table]')];

  const pick = (e: TableEntry<string, string>) => {
    input('kvt-key').value = e.key;
    input('kvt-value').value = e.value;
    input('kvt-version').value = e.version;
  };
  const list = async (from?: string) => {
    if (!kvt) return;
    after = from;
    const page = await readPage(kvt, input('kvt-prefix').value, from);
    next = page.next;
    byId('kvt-rows').replaceChildren(...pageRows(page, pick));
    byId<HTMLButtonElement>('kvt-next').disabled = next === undefined;
    byId('kvt-rows').dataset.loaded = String(Date.now());
  };
  const open = async (name: string) => {
    const info = await client.describeKeyValueTable(name);
    kvt = client.keyValueTable(name, {
      key: paddedKeys(info.primaryKeyLength + info.secondaryKeyLength),
      value: Serializers.utf8(),
    });
    rememberKeyValueTable(name);
    await unfollow?.();
    unfollow = followKeyValueTable(client, kvt);
    setText(
      'kvt-info',
      `${info.table}: ${info.partitions} partitions, keys of ${info.primaryKeyLength + info.secondaryKeyLength} bytes (text padded with _)`,
    );
    for (const b of buttons) b.disabled = false;
    byId('kvt-panel').dataset.table = name;
    await list();
  };
  const refreshNames = async (chosen?: string) => {
    const names = await client.listKeyValueTables(scope);
    select.replaceChildren(
      el('option', { value: '' }, names.length ? '— pick a table —' : '— no table yet —'),
      ...names.sort().map((n) => el('option', n === chosen ? { selected: '' } : {}, n)),
    );
  };
  const guard = (work: () => Promise<void>) => () =>
    void work().catch((err: unknown) => {
      const e = SluiceError.from(err);
      showStatus({ kind: 'error', text: `${e.code}: ${e.message}` });
    });

  select.onchange = guard(async () => {
    if (select.value) await open(select.value);
  });
  byId<HTMLFormElement>('kvt-create').onsubmit = (ev) => {
    ev.preventDefault();
    guard(async () => {
      const name = input('kvt-create-name').value.trim();
      await client.createKeyValueTable(name, {
        partitions: Number(input('kvt-create-partitions').value) || 1,
        primaryKeyLength: Number(input('kvt-create-keylen').value) || 16,
      });
      await refreshNames(name);
      await open(name);
    })();
  };
  byId<HTMLFormElement>('kvt-list-form').onsubmit = (ev) => {
    ev.preventDefault();
    guard(() => list())();
  };
  byId('kvt-next').onclick = guard(() => list(next));
  for (const b of document.querySelectorAll<HTMLButtonElement>('#kvt-edit button[data-op]')) {
    b.onclick = guard(async () => {
      if (!kvt) return;
      const outcome = await applyEdit(
        kvt,
        b.dataset.op as KvtOp,
        input('kvt-key').value,
        input('kvt-value').value,
        input('kvt-version').value,
      );
      showStatus(outcome);
      if (outcome.kind === 'ok') input('kvt-version').value = outcome.version ?? '';
      await list(after);
    });
  }

  const initial = initialKeyValueTable();
  await refreshNames(initial);
  if (initial && [...select.options].some((o) => o.value === initial)) await open(initial);
  else setText('kvt-status', 'pick or create a table');
  byId('kvt-panel').dataset.ready = 'true';
}
