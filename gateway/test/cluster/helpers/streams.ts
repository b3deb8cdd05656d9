/** Writing and reading keyed events through the gateway, and where a stream's segments live. */
import { Serializers, type SluiceClient } from '@sluice/sdk';
import { expect } from 'vitest';
import type { ControllerClient } from '../../../src/controller/controller-client.js';

/** Writes `count` events `key|i` over `keys` routing keys; resolves once every one is acknowledged. */
export async function writeKeyed(client: SluiceClient, stream: string, count: number, keys: number): Promise<string[]> {
  const writer = client.writer(stream, { serializer: Serializers.utf8() });
  const sent: string[] = [];
  const acks: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const key = `key-${i % keys}`;
    const value = `${key}|${i}`;
    sent.push(value);
    acks.push(writer.write(value, key));
  }
  await Promise.all(acks);
  await writer.close();
  return sent;
}

/** Reads `count` events from the head of `stream`. */
export async function readFromHead(client: SluiceClient, stream: string, count: number): Promise<string[]> {
  const reader = client.reader(stream, { serializer: Serializers.utf8(), from: 'head' });
  const got: string[] = [];
  try {
    for await (const event of reader) {
      got.push(event.value);
      if (got.length === count) break;
    }
  } finally {
    await reader.close();
  }
  return got;
}

/** Every event sent is read exactly once, and each key's events in the order written. */
export function expectExactlyOnceInKeyOrder(sent: string[], got: string[]): void {
  expect(got).toHaveLength(sent.length);
  expect(new Set(got).size).toBe(got.length);
  expect([...got].sort()).toEqual([...sent].sort());
  const last = new Map<string, number>();
  for (const value of got) {
    const [key, seq] = value.split('|') as [string, string];
    expect(Number(seq)).toBeGreaterThan(last.get(key) ?? -1);
    last.set(key, Number(seq));
  }
}

/** `host:port` of the segment store the controller names for each current segment of the stream. */
export async function segmentOwners(
  controller: ControllerClient,
  scope: string,
  stream: string,
): Promise<Map<bigint, string>> {
  const { segments } = await controller.getCurrentSegments(scope, stream);
  const owners = new Map<bigint, string>();
  for (const s of segments) {
    const endpoint = await controller.getEndpoint(scope, stream, s.segmentId);
    owners.set(s.segmentId, `${endpoint.host}:${endpoint.port}`);
  }
  return owners;
}
