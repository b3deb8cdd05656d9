/**
 * The dashboard: connect, pick a stream, read it live from its IndexedDB checkpoint, and write
 * to it (at a rate, or in a transaction). Each panel's logic lives in its own module.
 */
import { type Checkpoint, type ReadEvent, type SluiceClient, SluiceError } from '@sluice/sdk';
import { gatewayUrl, initialStream, rememberStream, scope, showStream, token } from './config.js';
import { ConnectionBadge } from './connection-badge.js';
import { byId, el, fmt, setText } from './dom.js';
import { kvtPanel } from './kvt-panel.js';
import { type DashboardState, LiveReader } from './live-reader.js';
import { liveTablePanel } from './live-table-panel.js';
import { renderCheckpoint, renderPosition } from './position-panel.js';
import { Producer } from './producer.js';
import { RateChart } from './rate-chart.js';
import { TxnBuilder, type TxnView } from './transactions.js';
import './style.css';

const badge = new ConnectionBadge(byId('connection'), gatewayUrl, token);
const stream = initialStream();
setText('scope', `scope “${scope}” on ${gatewayUrl}`);

function banner(id: string, text: string, kind: 'info' | 'ok' | 'error' = 'info'): void {
  const b = byId(id);
  b.hidden = false;
  b.dataset.kind = kind;
  b.textContent = text;
}

async function streamPicker(client: SluiceClient): Promise<void> {
  const select = byId<HTMLSelectElement>('stream-select');
  const names = new Set(await client.listStreams(scope));
  names.add(stream);
  select.replaceChildren(...[...names].sort().map((n) => el('option', n === stream ? { selected: '' } : {}, n)));
  select.onchange = () => showStream(select.value);
  byId<HTMLFormElement>('create-form').onsubmit = async (e) => {
    e.preventDefault();
    const name = byId<HTMLInputElement>('create-name').value.trim();
    const segments = Number(byId<HTMLInputElement>('create-segments').value) || 1;
    await client.createStream(name, { scaling: { type: 'fixed', segments } });
    showStream(name);
  };
}

/** The reader's panels; returns the callbacks that feed them. */
function readerViews(chart: RateChart, live: () => LiveReader | undefined) {
  let latest: string[] = [];
  let dirty = true;
  let stored: Checkpoint | undefined;
  const render = () => {
    const reader = live();
    if (!reader) return;
    stored ??= reader.resumedFrom;
    const s = reader.state;
    setText('total', fmt.format(s.total));
    setText('violations', fmt.format(s.orderViolations));
    latest = latest.slice(-12);
    byId('latest').replaceChildren(...latest.toReversed().map((v) => el('li', {}, v)));
    byId('key-rows').replaceChildren(
      ...Object.entries(s.perKey)
        .sort((a, b) => a[0].localeCompare(b[0], 'en', { numeric: true }))
        .map(([k, n]) => el('tr', { 'data-key': k }, el('td', {}, k), el('td', { class: 'num' }, fmt.format(n)))),
    );
    renderPosition(reader.reader.position(), stored);
    renderCheckpoint(stored);
  };
  // Render at most a few times a second, however fast events come.
  setInterval(() => {
    setText('rate', fmt.format(chart.lastSecondRate()));
    if (!dirty) return;
    dirty = false;
    render();
  }, 250);
  setInterval(async () => {
    try {
      const reader = live();
      if (reader) setText('lag', fmt.format(await reader.reader.lag()));
    } catch {
      setText('lag', '–');
    }
  }, 1000);
  return {
    onEvent(_ev: ReadEvent<string>, key: string, _state: DashboardState) {
      chart.count(key);
      latest.push(_ev.value);
      dirty = true;
    },
    onCheckpoint(cp: Checkpoint) {
      stored = cp;
      dirty = true;
    },
    refresh() {
      dirty = true;
    },
  };
}

function wireProducer(producer: Producer): void {
  const toggle = byId<HTMLButtonElement>('producer-toggle');
  const show = () => {
    const s = producer.stats;
    const err = s.lastError ? ` — last error ${s.lastError.code}: ${s.lastError.message}` : '';
    Object.assign(byId('producer-stats').dataset, {
      sent: String(s.sent),
      acked: String(s.acked),
      failed: String(s.failed),
      inflight: String(s.sent - s.acked - s.failed),
    });
    setText(
      'producer-stats',
      `${producer.running ? 'writing' : 'stopped'} as ${s.source}: ${fmt.format(s.sent)} sent, ${fmt.format(s.acked)} acknowledged, ${fmt.format(s.sent - s.acked - s.failed)} in flight, ${fmt.format(s.failed)} failed${err}`,
    );
  };
  byId<HTMLFormElement>('producer-form').onsubmit = (e) => {
    e.preventDefault();
    if (producer.running) producer.stop();
    else
      producer.start(
        Number(byId<HTMLInputElement>('producer-rate').value) || 1,
        Number(byId<HTMLInputElement>('producer-keys').value) || 1,
      );
    toggle.textContent = producer.running ? 'Stop' : 'Start';
    show();
  };
  toggle.disabled = false;
  setInterval(show, 250);
}

function txnView(v: TxnView): void {
  const status = byId('txn-status');
  status.dataset.phase = v.phase;
  if (v.phase === 'none') status.textContent = 'no transaction';
  else if (v.phase === 'error') status.textContent = `error — ${v.message}`;
  else if (v.phase === 'recovered') banner('txn-banner', v.message, v.outcome === 'committed' ? 'ok' : 'error');
  else status.textContent = `${v.phase}: ${v.txnId} with ${v.events} events`;
}

function wireTransactions(txns: TxnBuilder): void {
  const actions: Record<string, () => Promise<void>> = {
    'txn-begin': () => txns.begin(),
    'txn-add': () => txns.add(10, 4),
    'txn-prepare': () => txns.prepare(),
    'txn-commit': () => txns.commit(),
    'txn-abort': () => txns.abort(),
  };
  for (const [id, action] of Object.entries(actions)) {
    const button = byId<HTMLButtonElement>(id);
    button.onclick = () => void action();
    button.disabled = false; // clickable only once wired
  }
}

async function main(): Promise<void> {
  const client = await badge.connect(scope);
  await client.createScope(scope);
  await client.createStream(stream, { scaling: { type: 'fixed', segments: 4 } });
  rememberStream(stream);
  await streamPicker(client);
  void liveTablePanel(client, stream).catch((err: unknown) => {
    const e = SluiceError.from(err);
    setText('live-table-stats', `live table failed — ${e.code}: ${e.message}`);
  });
  void kvtPanel(client).catch((err: unknown) => {
    const e = SluiceError.from(err);
    setText('kvt-status', `key-value tables unavailable — ${e.code}: ${e.message}`);
  });

  let live: LiveReader | undefined;
  const views = readerViews(new RateChart(byId('chart')), () => live);
  live = new LiveReader(client, stream, {
    ...views,
    onError: (e) => banner('error-banner', `reader stopped — ${e.code}: ${e.message}`, 'error'),
  });
  await live.start();
  void live.reader.ready().then(() => views.refresh());
  const resumed = live.resumedFrom;
  if (resumed)
    banner(
      'resume-banner',
      `Resumed from checkpoint #${resumed.id} saved ${new Date(resumed.savedAt).toLocaleTimeString()} in IndexedDB: continuing right after event ${fmt.format(live.state.total)}, nothing read twice, nothing skipped.`,
      'ok',
    );
  else
    banner(
      'resume-banner',
      `No checkpoint for ${live.checkpointKey} in IndexedDB: reading from the head of the stream.`,
    );

  wireProducer(new Producer(client, stream, () => {}));
  const txns = new TxnBuilder(client, stream, txnView);
  wireTransactions(txns);
  await txns.recover();
}

void main();
