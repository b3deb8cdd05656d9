/**
 * Limits that protect a gateway shared by many clients: connection rate per IP (429), idle
 * sessions (4002), and consumers that stop reading their socket (closed; others keep flowing).
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { ClientFrameSchema } from '@sluice/proto/sluice/v1/gateway_pb.js';
import { Serializers } from '@sluice/sdk';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestGateway } from '../helpers/in-process-gateway.js';
import { uniqueName } from '../helpers/names.js';
import { connectSdk } from '../helpers/sdk.js';

type Init = Parameters<typeof create<typeof ClientFrameSchema>>[1];
const frame = (init: Init) => toBinary(ClientFrameSchema, create(ClientFrameSchema, init));

function openRaw(url: string): Promise<{ ws: WebSocket; status: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, 'sluice.v1');
    ws.once('open', () => resolve({ ws, status: 101 }));
    ws.once('unexpected-response', (_req, res) => resolve({ ws, status: res.statusCode ?? 0 }));
    ws.once('error', () => {});
  });
}

async function sessions(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^sluice_sessions (\d+)/m.exec(text)?.[1] ?? -1);
}

async function slowConsumersClosed(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^sluice_sessions_closed_by_gateway_total\{reason="slow consumer"\} (\d+)/m.exec(text)?.[1] ?? 0);
}

describe('limits', () => {
  it('refuses connections over the per-IP rate with 429', async () => {
    const gateway = await startTestGateway(['--connections-per-second-per-ip', '1']);
    try {
      const results = await Promise.all(Array.from({ length: 12 }, () => openRaw(gateway.url)));
      for (const r of results) r.ws.terminate();
      expect(results.filter((r) => r.status === 429).length).toBeGreaterThan(0);
      expect(results.filter((r) => r.status === 101).length).toBeGreaterThan(0);
    } finally {
      await gateway.close();
    }
  });

  it('closes an idle session with 4002', async () => {
    const gateway = await startTestGateway(['--idle-timeout-ms', '1500']);
    try {
      const { ws } = await openRaw(gateway.url);
      ws.send(frame({ kind: { case: 'hello', value: { protocolVersion: 1, clientName: 'idle' } } }));
      expect(await new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))).toBe(4002);
    } finally {
      await gateway.close();
    }
  });

  it('closes a consumer that stopped reading its socket, and only that one', async () => {
    const gateway = await startTestGateway(['--send-high-water-bytes', '65536', '--slow-consumer-ms', '1000']);
    try {
      const scope = uniqueName('slow');
      const good = await connectSdk(gateway.url, scope);
      await good.createScope(scope);
      await good.createStream('s', { scaling: { type: 'fixed', segments: 1 } });
      const writer = good.writer('s', { serializer: Serializers.bytes() });
      // More than the kernel's loopback buffers hold, so the gateway's own send buffer must fill.
      await Promise.all(Array.from({ length: 3_000 }, () => writer.write(new Uint8Array(10_000))));
      const { ws } = await openRaw(gateway.url);
      ws.send(frame({ kind: { case: 'hello', value: { protocolVersion: 1, clientName: 'slow' } } }));
      ws.send(
        frame({
          kind: {
            case: 'openReader',
            value: {
              channel: 1,
              streams: [`${scope}/s`],
              start: { case: 'head', value: true },
              initialCreditEvents: 100_000,
              initialCreditBytes: 100_000_000,
            },
          },
        }),
      );
      // Stop reading: the gateway's send buffer for this socket fills up.
      (ws as unknown as { _socket: { pause(): void } })._socket.pause();
      while ((await slowConsumersClosed(gateway.port)) === 0) await new Promise((r) => setTimeout(r, 200));
      expect(await sessions(gateway.port)).toBe(1);
      expect(await good.createScope(scope)).toBe(false); // the well-behaved session is untouched
      ws.terminate();
      await good.close();
    } finally {
      await gateway.close();
    }
  });
});
