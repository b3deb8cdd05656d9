/**
 * An edge function that produces events through the Sluice SDK. It is a plain module worker —
 * `export default { fetch }` — the shape Deno (`deno serve`), Cloudflare's workerd and other
 * edge runtimes run; the SDK uses the runtime's own W3C WebSocket and nothing from Node.
 *
 *   POST /produce?gateway=ws://…&scope=s&stream=t&count=N&batch=id&mode=at-least-once|exactly-once
 *
 * writes N events "edge-<batch>|key-(i%4)|i" and answers with JSON once every event is stored:
 * at-least-once resolves each write on Pravega's acknowledgement (a resend after a reconnect is
 * dropped by Pravega's de-duplication); exactly-once writes the batch in one transaction and
 * commits it, so a request that fails half-way leaves nothing behind.
 */
import { connect, Serializers, SluiceError } from '@sluice/sdk';

const KEYS = 4;

async function produce(url: URL): Promise<{ written: number; mode: string; txnId?: string }> {
  const gateway = url.searchParams.get('gateway') ?? 'ws://127.0.0.1:8080';
  const scope = url.searchParams.get('scope') ?? 'demo';
  const stream = url.searchParams.get('stream') ?? 'edge';
  const count = Number(url.searchParams.get('count') ?? 100);
  const batch = url.searchParams.get('batch') ?? crypto.randomUUID().slice(0, 8);
  const mode = url.searchParams.get('mode') === 'exactly-once' ? 'exactly-once' : 'at-least-once';
  const event = (i: number) => ({ value: `edge-${batch}|key-${i % KEYS}|${i}`, key: `key-${i % KEYS}` });

  const client = await connect({ url: gateway, scope, name: 'sluice edge function' });
  try {
    const writer = client.writer(stream, { serializer: Serializers.utf8(), mode });
    if (mode === 'exactly-once') {
      const tx = await writer.beginTxn();
      const writes: Promise<void>[] = [];
      for (let i = 0; i < count; i++) writes.push(tx.write(event(i).value, event(i).key));
      await Promise.all(writes);
      await tx.prepare();
      await tx.commit();
      return { written: count, mode, txnId: tx.txnId };
    }
    const writes: Promise<void>[] = [];
    for (let i = 0; i < count; i++) writes.push(writer.write(event(i).value, event(i).key));
    await Promise.all(writes);
    await writer.close();
    return { written: count, mode };
  } finally {
    await client.close();
  }
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname !== '/produce') return new Response('POST /produce?…', { status: 404 });
    try {
      return Response.json(await produce(url));
    } catch (err) {
      const e = SluiceError.from(err);
      return Response.json({ error: { code: e.code, message: e.message } }, { status: 502 });
    }
  },
};
