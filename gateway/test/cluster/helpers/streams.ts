/** Writing and reading keyed events through the gateway, and where a stream's segments live. */
import { Serializers, type SluiceClient } from '@sluice/sdk';
import { expect } from 'vitest';
import type { ControllerClient } from '../../../src/controller/controller-client.js';
import { type ClusterHandle, segmentStoreEndpoints } from './cluster.js';

/**
 * Writes `count` events `key|i` (i from `first`) over `keys` routing keys; resolves once every one
 * is acknowledged.
 */
export async function writeKeyed(
  client: SluiceClient,
  stream: string,
  count: number,
  keys: number,
  first = 0,
): Promise<string[]> {
  const writer = client.writer(stream, { serializer: Serializers.utf8() });
  const sent: string[] = [];
  const acks: Promise<void>[] = [];
  for (let i = first; i < first + count; i++) {
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

/** Everything in `stream` from its head to its tail as of now, in the order read. */
export async function readAll(client: SluiceClient, stream: string): Promise<string[]> {
  const end = (await client.streamInfo(stream)).tail;
  const out: string[] = [];
  for await (const ev of client.reader(stream, { serializer: Serializers.utf8(), from: 'head', to: end }))
    out.push(ev.value);
  return out;
}

/**
 * The segment store to kill: of the stores owning some of the stream's current segments, the one
 * owning the `fewest` or the `most`; with the segments that will move when it dies. Expects at
 * least two stores to own segments (so some segments stay where they are).
 */
export async function victimStore(
  controller: ControllerClient,
  cluster: ClusterHandle,
  scope: string,
  stream: string,
  pick: 'fewest' | 'most',
): Promise<{ victim: string; moved: Set<bigint> }> {
  const owners = await segmentOwners(controller, scope, stream);
  const byStore = new Map<string, bigint[]>();
  for (const [id, endpoint] of owners) byStore.set(endpoint, [...(byStore.get(endpoint) ?? []), id]);
  expect(byStore.size).toBeGreaterThanOrEqual(2);
  const sorted = [...byStore].sort((a, b) => a[1].length - b[1].length);
  const [endpoint, ids] = (pick === 'fewest' ? sorted[0] : sorted[sorted.length - 1])!;
  const victim = segmentStoreEndpoints(cluster).get(endpoint);
  if (!victim) throw new Error(`no segment store of the cluster listens on ${endpoint}`);
  return { victim, moved: new Set(ids) };
}
