/**
 * A scenario page: an exactly-once pipeline from stream A to stream B running in the tab
 * (?from=A&to=B&name=…). It copies A up to A's tail as it was when the page loaded; every
 * checkpoint prepares a transaction on B, saves {A's position, the transaction id} in IndexedDB
 * in one write, then commits. Reloading at any moment loses and duplicates nothing.
 */
import { checkpointStores, Serializers, SluiceError } from '@sluice/sdk';
import { gatewayUrl, scope, token } from './config.js';
import { ConnectionBadge } from './connection-badge.js';
import { byId, setText } from './dom.js';
import { parseEvent } from './event-format.js';
import { report } from './probe.js';
import './style.css';

const params = new URLSearchParams(location.search);
const from = params.get('from') ?? 'pipeline-a';
const to = params.get('to') ?? 'pipeline-b';
const name = params.get('name') ?? `${from}->${to}`;
setText('route', `${scope}/${from} → ${scope}/${to}`);

async function main(): Promise<void> {
  const client = await new ConnectionBadge(byId('connection'), gatewayUrl, token).connect(scope);
  const store = checkpointStores.indexedDb('sluice-pipelines');
  const last = await store.load(name);
  setText(
    'resume',
    last
      ? `Resuming from checkpoint #${last.id} (saved ${new Date(last.savedAt).toLocaleTimeString()}); its transaction ${last.txn?.txnId ?? '–'} is committed first.`
      : 'No checkpoint yet: starting at the head of A.',
  );
  const { tail } = await client.streamInfo(from);
  const reader = client.reader(from, { serializer: Serializers.utf8(), from: 'head', to: tail });
  const writer = client.writer(to, { serializer: Serializers.utf8(), mode: 'exactly-once' });
  let processed = 0;
  let checkpoints = 0;
  const job = client.pipeline<string, string>({
    from: reader,
    to: writer,
    checkpoints: store,
    name,
    checkpointEvery: { events: 40, ms: 400 },
    process: (ev, emit) => {
      processed++;
      emit(ev.value, parseEvent(ev.value).key);
    },
    onCheckpoint: (cp) => {
      checkpoints++;
      setText('checkpoints', String(checkpoints));
      setText('processed', String(processed));
      report('pipeline-checkpoint', cp);
    },
  });
  setText('status', 'copying');
  try {
    await job.run();
    setText('status', 'done: A copied up to its tail');
    report('pipeline-done', { processed });
  } catch (err) {
    const e = SluiceError.from(err);
    setText('status', `failed — ${e.code}: ${e.message}`);
    report('pipeline-failed', { code: e.code, message: e.message });
  }
}

void main();
