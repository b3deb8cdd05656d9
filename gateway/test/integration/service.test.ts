/**
 * The gateway as a service, in process against the real standalone: metrics after real writes,
 * a commit and reads; /readyz answered from the cached probe; the admin port; protocol version
 * ranges in the handshake.
 */
import { Serializers, type SluiceClient } from '@sluice/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_VERSION, type RunningGateway } from '../../src/server/gateway.js';
import { freePort } from '../helpers/gateway-process.js';
import { startTestGateway } from '../helpers/in-process-gateway.js';
import { uniqueName } from '../helpers/names.js';
import { clientFrame, RawClient } from '../helpers/raw-client.js';
import { connectSdk } from '../helpers/sdk.js';

const scope = uniqueName('service');
let gateway: RunningGateway;
let client: SluiceClient;
let adminPort: number;

beforeAll(async () => {
  adminPort = await freePort();
  // One probe, at start: every /readyz afterwards must be answered from it.
  gateway = await startTestGateway(['--admin-port', String(adminPort), '--readiness-interval-ms', '3600000']);
  client = await connectSdk(gateway.url, scope);
  await client.createScope(scope);
});

afterAll(async () => {
  await client?.close();
  await gateway?.close();
});

async function metrics(): Promise<string> {
  return (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
}

/** The value of one sample line (`name{labels} value`), or undefined when absent. */
function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('metrics', () => {
  it('count acknowledged events and time acknowledgements, commits and deliveries', async () => {
    const stream = uniqueName('m');
    await client.createStream(stream, { scaling: { type: 'fixed', segments: 2 } });
    const before = sample(await metrics(), 'sluice_events_written_total') ?? 0;
    const writer = client.writer(stream, { serializer: Serializers.utf8() });
    await Promise.all(Array.from({ length: 100 }, (_, i) => writer.write(`e${i}`, `k${i % 4}`)));
    await writer.close();
    const tx = await client.writer(stream, { serializer: Serializers.utf8(), mode: 'exactly-once' }).beginTxn();
    await tx.write('in-txn');
    await tx.commit();
    const to = (await client.streamInfo(stream)).tail;
    let read = 0;
    for await (const _ of client.reader(stream, { serializer: Serializers.utf8(), from: 'head', to })) read++;
    expect(read).toBe(101);

    const text = await metrics();
    expect(text).toContain(`sluice_build_info{version="${GATEWAY_VERSION}",node_version="${process.version}"`);
    // 100 written and acknowledged, and the transaction's one.
    expect(sample(text, 'sluice_events_written_total')).toBe(before + 101);
    expect(sample(text, 'sluice_append_ack_seconds_count')).toBeGreaterThan(0);
    expect(sample(text, 'sluice_txn_commit_seconds_count')).toBe(1);
    expect(sample(text, 'sluice_delivery_seconds_count')).toBeGreaterThan(0);
    expect(sample(text, 'sluice_inflight_bytes')).toBe(0);
  });

  it('count Pravega error replies by type', async () => {
    const stream = uniqueName('sealed');
    await client.createStream(stream, { scaling: { type: 'fixed', segments: 1 } });
    const writer = client.writer(stream, { serializer: Serializers.utf8() });
    await writer.write('before');
    await client.sealStream(stream);
    // The writer's next append reaches a sealed segment: the segment store says SegmentIsSealed.
    await expect(writer.write('after')).rejects.toMatchObject({ code: 'sealed' });
    await writer.close().catch(() => {});
    expect(sample(await metrics(), 'sluice_pravega_error_replies_total{reply="SegmentIsSealed"}')).toBeGreaterThan(0);
  });
});

describe('probes and the admin port', () => {
  it('answer /readyz from the last probe, without reaching Pravega per request', async () => {
    const answers = [];
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`http://127.0.0.1:${adminPort}/readyz`);
      answers.push({ status: res.status, ...((await res.json()) as { checkedAt: number; ready: boolean }) });
    }
    expect(answers[0]).toMatchObject({
      status: 200,
      ready: true,
      controller: true,
      segmentStore: true,
      draining: false,
    });
    expect(answers[0]!.checkedAt).toBeGreaterThan(0);
    expect(new Set(answers.map((a) => a.checkedAt)).size).toBe(1);
  });

  it('serve /metrics, /healthz and /readyz on the admin port only', async () => {
    expect((await fetch(`http://127.0.0.1:${adminPort}/healthz`)).status).toBe(200);
    for (const path of ['/metrics', '/healthz', '/readyz'])
      expect((await fetch(`http://127.0.0.1:${gateway.port}${path}`)).status).toBe(404);
  });
});

describe('protocol version ranges', () => {
  it('a client offering 2..9 gets 2, and learns the gateway speaks 2..2', async () => {
    const raw = await RawClient.open(gateway.url);
    if (typeof raw === 'number') throw new Error(`upgrade refused: ${raw}`);
    raw.send(
      clientFrame({
        kind: {
          case: 'hello',
          value: { protocolVersion: 2, minProtocolVersion: 2, maxProtocolVersion: 9, clientName: 'new' },
        },
      }),
    );
    const welcome = await raw.until((f) => f.kind.case === 'welcome');
    expect(welcome.kind.value).toMatchObject({ protocolVersion: 2, minProtocolVersion: 2, maxProtocolVersion: 2 });
    raw.terminate();
  });

  it('a client speaking only 3..4 is refused with 1002, both ranges named', async () => {
    const raw = await RawClient.open(gateway.url);
    if (typeof raw === 'number') throw new Error(`upgrade refused: ${raw}`);
    let reason = '';
    raw.ws.once('close', (_code, r) => {
      reason = r.toString();
    });
    raw.send(
      clientFrame({
        kind: {
          case: 'hello',
          value: { protocolVersion: 3, minProtocolVersion: 3, maxProtocolVersion: 4, clientName: 'future' },
        },
      }),
    );
    expect(await raw.closed).toBe(1002);
    expect(reason).toBe('protocol version 3..4 is not supported (2 is)');
  });
});
