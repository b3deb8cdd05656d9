// A TypeScript consumer of the published declarations, type-checked under DOM, Node (no DOM)
// and WebWorker libs with strict settings and skipLibCheck off. Compiled only, never run.
import {
  checkpointStores,
  connect,
  type ReadEvent,
  SDK_VERSION,
  Serializers,
  SluiceError,
  type SluiceErrorCode,
  StreamCut,
} from '@sluice/sdk';
import {
  connect as connectReader,
  type ReaderClient,
  type ReaderPosition,
  Serializers as ReaderSerializers,
} from '@sluice/sdk/reader';
import { connect as connectWriter, type WriterClient, Serializers as WriterSerializers } from '@sluice/sdk/writer';

interface Reading {
  sensor: string;
  value: number;
}

export async function consume(url: string, signal: AbortSignal): Promise<string> {
  await using client = await connect({ url, scope: 'demo', token: async () => 'token', signal });
  await client.createScope('demo');
  await client.createStream('demo/sensors', { scaling: { type: 'fixed', segments: 2 } });
  const writer = client.writer<Reading>('demo/sensors', {
    serializer: Serializers.json<Reading>(),
    mode: 'exactly-once',
    routingKey: (r) => r.sensor,
  });
  await writer.write({ sensor: 's1', value: 1 });
  const tx = await writer.beginTxn();
  await tx.write({ sensor: 's2', value: 2 });
  await tx.commit();
  await writer.close();
  const reader = client.reader<Reading>('demo/sensors', {
    serializer: Serializers.json<Reading>(),
    from: 'head',
    checkpoints: checkpointStores.memory(),
  });
  let total = 0;
  for await (const ev of reader) {
    const event: ReadEvent<Reading> = ev;
    total += event.value.value;
    await reader.checkpoint({ state: { total } });
    break;
  }
  await reader.close();
  const cut = StreamCut.fromText(await (await client.streamInfo('demo/sensors')).tail.toText());
  let code: SluiceErrorCode | undefined;
  try {
    await client.deleteStream('demo/missing');
  } catch (err) {
    if (err instanceof SluiceError) code = err.code;
  }
  return `${SDK_VERSION} ${total} ${code} ${(await cut).positions.size}`;
}

/** A writer-only app on `@sluice/sdk/writer` (the bundle-size budget's app). */
export async function writeOnly(url: string): Promise<void> {
  await using client: WriterClient = await connectWriter({ url, scope: 'demo' });
  const writer = client.writer('demo/sensors', { serializer: WriterSerializers.utf8() });
  await writer.write('hello', 'key');
  await writer.close();
}

/** A reader-only app on `@sluice/sdk/reader` (the bundle-size budget's app). */
export async function readOnly(url: string): Promise<ReaderPosition | undefined> {
  await using client: ReaderClient = await connectReader({ url, scope: 'demo' });
  let last: ReaderPosition | undefined;
  for await (const ev of client.reader('demo/sensors', { serializer: ReaderSerializers.utf8() })) last = ev.position;
  return last;
}
