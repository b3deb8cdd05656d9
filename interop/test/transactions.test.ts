/**
 * Exactly-once writes through the gateway, checked by Pravega's own Java reader: events of an
 * open transaction are invisible, a commit makes them all appear, an abort never does, a second
 * commit changes nothing; bad input gets typed errors; a lease that expires is surfaced.
 */
import { checkpointStores, Serializers } from '@sluice/sdk';
import { describe, expect, it } from 'vitest';
import { ControllerClient } from '../../gateway/src/controller/controller-client.js';
import { startTestGateway } from '../../gateway/test/helpers/in-process-gateway.js';
import { uniqueName } from '../../gateway/test/helpers/names.js';
import { connectSdk } from '../../gateway/test/helpers/sdk.js';
import { useGatewayProcess } from '../../gateway/test/helpers/setup.js';
import { javaPeer, streamArgs } from './java-peer.js';

const controller = () => process.env.PRAVEGA_CONTROLLER_URI ?? 'tcp://127.0.0.1:9090';
const fx = useGatewayProcess('txn', ['--txn-grace-ms', '0']);
const { scope } = fx;

/** Everything a Java reader sees now (stops after a second without a new event). */
async function javaVisible(stream: string): Promise<string[]> {
  const lines = await javaPeer(['read', ...streamArgs(scope, stream), '--idle-ms', '1500']);
  return lines.filter((l) => typeof l.payload === 'string').map((l) => l.payload as string);
}

async function newStream(segments = 3): Promise<string> {
  const stream = uniqueName('s');
  await fx.client.createStream(stream, { scaling: { type: 'fixed', segments } });
  return stream;
}

describe('transactions', () => {
  it('are invisible until commit, then all at once; aborted ones never appear; a second commit changes nothing', async () => {
    const stream = await newStream();
    const writer = fx.client.writer(stream, { serializer: Serializers.utf8(), mode: 'exactly-once' });
    const kept = await writer.beginTxn();
    const dropped = await writer.beginTxn();
    expect(kept.txnId).toMatch(/^[0-9a-f-]{36}$/);
    expect(kept.txnId).not.toBe(dropped.txnId);
    await Promise.all(Array.from({ length: 300 }, (_, i) => kept.write(`kept|k${i % 7}|${i}`, `k${i % 7}`)));
    await Promise.all(Array.from({ length: 50 }, (_, i) => dropped.write(`dropped|${i}`, `k${i % 7}`)));
    await kept.prepare();
    await dropped.prepare();
    expect(await fx.client.transactionStatus(stream, kept.txnId)).toBe('open');
    expect(await javaVisible(stream)).toEqual([]);

    await kept.commit();
    await dropped.abort();
    expect(await fx.client.transactionStatus(stream, kept.txnId)).toBe('committed');
    expect(['aborting', 'aborted']).toContain(await fx.client.transactionStatus(stream, dropped.txnId));
    await kept.commit(); // idempotent
    await fx.client.commitTransaction(stream, kept.txnId); // from the id alone, too

    const seen = await javaVisible(stream);
    expect(seen.sort()).toEqual(Array.from({ length: 300 }, (_, i) => `kept|k${i % 7}|${i}`).sort());
  });

  it('commits from another session on another gateway by id alone', async () => {
    const stream = await newStream(2);
    const writer = fx.client.writer(stream, { serializer: Serializers.utf8(), mode: 'exactly-once' });
    const tx = await writer.beginTxn();
    await Promise.all(['a', 'b', 'c'].map((v) => tx.write(v, v)));
    await tx.prepare();
    const secondGateway = await startTestGateway();
    const other = await connectSdk(secondGateway.url, scope);
    await other.commitTransaction(stream, tx.txnId);
    expect(await other.transactionStatus(stream, tx.txnId)).toBe('committed');
    await other.close();
    await secondGateway.close();
    expect((await javaVisible(stream)).sort()).toEqual(['a', 'b', 'c']);
  });

  it('gives typed errors for bad input', async () => {
    const stream = await newStream(1);
    await expect(fx.client.commitTransaction(stream, '00000000-0000-0000-0000-00000000abcd')).rejects.toMatchObject({
      code: 'not-found',
    });
    await expect(fx.client.commitTransaction(stream, 'not-a-txn')).rejects.toMatchObject({ code: 'invalid-argument' });
    const writer = fx.client.writer(stream, { serializer: Serializers.utf8(), mode: 'exactly-once' });
    await expect(writer.write('x')).rejects.toMatchObject({ code: 'invalid-argument' });
    const tx = await writer.beginTxn();
    await tx.write('x');
    await tx.commit();
    await expect(tx.write('late')).rejects.toMatchObject({ code: 'invalid-argument' });
    const plain = fx.client.writer(stream, { serializer: Serializers.utf8() });
    await expect(plain.beginTxn()).rejects.toMatchObject({ code: 'invalid-argument' });
  });

  it('surfaces a lease that expired while its gateway was down as txn-aborted', async () => {
    const stream = await newStream(1);
    const writer = fx.client.writer(stream, { serializer: Serializers.utf8(), mode: 'exactly-once' });
    const tx = await writer.beginTxn({ leaseMs: 10_000 });
    await tx.write('lost');
    await fx.gateway.kill(); // nobody renews the lease now
    const pravega = new ControllerClient({ uri: controller() });
    let state = await pravega.transactionState(scope, stream, tx.txnId);
    for (let i = 0; i < 120 && state === 'open'; i++) {
      await new Promise((r) => setTimeout(r, 500));
      state = await pravega.transactionState(scope, stream, tx.txnId);
    }
    await pravega.close();
    expect(['aborting', 'aborted']).toContain(state);
    await fx.gateway.start();
    await expect(tx.commit()).rejects.toMatchObject({ code: 'txn-aborted' });
    expect(await javaVisible(stream)).toEqual([]);
  });
});

describe('writer modes and pipeline recovery', () => {
  it('best-effort resolves on send and still delivers everything while Pravega is healthy', async () => {
    const stream = await newStream(2);
    const writer = fx.client.writer(stream, { serializer: Serializers.utf8(), mode: 'best-effort' });
    for (let i = 0; i < 500; i++) await writer.write(`be|${i}`, `k${i % 5}`);
    await writer.flush();
    expect(writer.failedEvents).toBe(0);
    expect((await javaVisible(stream)).length).toBe(500);
  });

  it('refuses to resume a pipeline whose recorded transaction Pravega aborted, naming the checkpoint', async () => {
    const source = await newStream(1);
    const sink = await newStream(1);
    const writer = fx.client.writer(sink, { serializer: Serializers.utf8(), mode: 'exactly-once' });
    const lost = await writer.beginTxn();
    await lost.write('lost output');
    await lost.prepare();
    await lost.abort();
    const store = checkpointStores.memory();
    const position = (await fx.client.streamInfo(source)).head;
    await store.save('job', {
      id: 7,
      position: {
        streams: [
          {
            stream: position.stream,
            segments: [...position.positions].map(([s, o]) => [String(s), String(o)]),
            future: [],
          },
        ],
      },
      txn: { stream: `${scope}/${sink}`, txnId: lost.txnId },
      savedAt: new Date().toISOString(),
    });
    const job = fx.client.pipeline({
      name: 'job',
      from: fx.client.reader(source, { serializer: Serializers.utf8() }),
      to: writer,
      checkpoints: store,
      process: (ev, emit) => emit(ev.value),
    });
    const error = await job.run().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'txn-aborted' });
    expect(String((error as Error).message)).toContain('checkpoint 7');
    expect(String((error as Error).message)).toContain(lost.txnId);
  });
});
