/**
 * The smoke test's write-and-read, shared by its Node, Deno and browser runs: `sdk` is the
 * installed @sluice/sdk as that runtime resolved it. Writes `count` events under three routing
 * keys into a two-segment stream, then reads the stream back from head to tail.
 *
 * @param {typeof import('@sluice/sdk')} sdk
 * @param {{ url: string, scope: string, stream: string, count: number, WebSocket?: unknown }} options
 */
export async function roundtrip(sdk, { url, scope, stream, count, WebSocket }) {
  const client = await sdk.connect({ url, scope, ...(WebSocket ? { WebSocket } : {}) });
  try {
    await client.createScope(scope);
    await client.createStream(stream, { scaling: { type: 'fixed', segments: 2 } });
    const writer = client.writer(stream, { serializer: sdk.Serializers.utf8() });
    const sent = Array.from({ length: count }, (_, i) => `${stream}|key-${i % 3}|${i}`);
    await Promise.all(sent.map((event) => writer.write(event, event.split('|')[1])));
    await writer.close();
    const received = [];
    for await (const ev of client.readBatch(stream, { serializer: sdk.Serializers.utf8() })) received.push(ev.value);
    return { version: sdk.SDK_VERSION, sent, received };
  } finally {
    await client.close();
  }
}
