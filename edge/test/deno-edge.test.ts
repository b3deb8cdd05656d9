/**
 * The edge function (src/producer.ts) in a real edge runtime — Deno, from npm, serving the module
 * with `deno serve` — writes through a real gateway into the real standalone; a Node reader then
 * sees every event exactly once, in order per routing key.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, Serializers, type SluiceClient } from '@sluice/sdk';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { freePort, GatewayProcess } from '../../gateway/test/helpers/gateway-process.js';

const here = fileURLToPath(new URL('..', import.meta.url));
const deno = join(here, 'node_modules/.bin/deno');
const controller = process.env.PRAVEGA_CONTROLLER_URI ?? 'tcp://127.0.0.1:9090';
const scope = `edge-${Date.now().toString(36)}`;

let gateway: GatewayProcess;
let client: SluiceClient;
let denoProcess: ChildProcess;
let functionUrl: string;
let denoOutput = '';

/** Bundles the function with the SDK for a runtime without Node (the browser conditions). */
async function bundle(): Promise<string> {
  const out = join(mkdtempSync(join(tmpdir(), 'sluice-edge-')), 'producer.js');
  const result = await build({
    entryPoints: [join(here, 'src/producer.ts')],
    bundle: true,
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['worker', 'browser'],
    format: 'esm',
    target: 'es2022',
    outfile: out,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs.filter((p) => p.includes('/ws/') || p.startsWith('node:'))).toEqual([]);
  return out;
}

async function startDeno(file: string): Promise<void> {
  const port = await freePort();
  denoProcess = spawn(deno, ['serve', '--allow-net', '--host', '127.0.0.1', '--port', String(port), file], {
    env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: `deno` here is npm's launcher, which starts the real binary as a
    // child, so a signal to the launcher alone left `deno serve` running after the tests.
    detached: true,
  });
  denoProcess.stdout?.on('data', (d: Buffer) => (denoOutput += d.toString()));
  denoProcess.stderr?.on('data', (d: Buffer) => (denoOutput += d.toString()));
  functionUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (denoProcess.exitCode !== null) throw new Error(`deno exited ${denoProcess.exitCode}:\n${denoOutput}`);
    try {
      await fetch(functionUrl);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`deno serve did not listen:\n${denoOutput}`);
}

async function invoke(params: Record<string, string>): Promise<Record<string, unknown>> {
  const query = new URLSearchParams({ gateway: gateway.url, scope, ...params });
  const res = await fetch(`${functionUrl}/produce?${query}`, { method: 'POST' });
  const body = (await res.json()) as Record<string, unknown>;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

async function readAll(stream: string): Promise<string[]> {
  const out: string[] = [];
  for await (const ev of client.readBatch(stream, { serializer: Serializers.utf8() })) out.push(ev.value);
  return out;
}

function byKey(events: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of events) {
    const key = e.split('|')[1] ?? '?';
    out[key] = [...(out[key] ?? []), e];
  }
  return out;
}

function expected(batch: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `edge-${batch}|key-${i % 4}|${i}`);
}

beforeAll(async () => {
  gateway = await GatewayProcess.start(['--controller', controller, '--scope', scope]);
  client = await connect({ url: gateway.url, scope, WebSocket });
  await client.createScope(scope);
  await startDeno(await bundle());
});

/** Stops `deno serve` and the launcher in front of it (their whole process group). */
async function stopDeno(): Promise<void> {
  const pid = denoProcess?.pid;
  if (pid === undefined || denoProcess.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => denoProcess.once('exit', () => resolve()));
  process.kill(-pid, 'SIGTERM');
  const timer = setTimeout(() => process.kill(-pid, 'SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

afterAll(async () => {
  await stopDeno();
  await client?.close();
  await gateway?.stop();
});

describe('an edge function in Deno', () => {
  it('writes N events at-least-once; a reader sees each once, in order per key', async () => {
    await client.createStream('edge-alo', { scaling: { type: 'fixed', segments: 3 } });
    const body = await invoke({ stream: 'edge-alo', count: '3000', batch: 'a', mode: 'at-least-once' });
    expect(body).toMatchObject({ written: 3000, mode: 'at-least-once' });
    const seen = await readAll('edge-alo');
    expect(seen.length).toBe(3000);
    expect(byKey(seen)).toEqual(byKey(expected('a', 3000)));
  });

  it('writes N events in one transaction, exactly once, alongside a concurrent invocation', async () => {
    await client.createStream('edge-txn', { scaling: { type: 'fixed', segments: 2 } });
    const [one, two] = await Promise.all([
      invoke({ stream: 'edge-txn', count: '1500', batch: 'x', mode: 'exactly-once' }),
      invoke({ stream: 'edge-txn', count: '1500', batch: 'y', mode: 'exactly-once' }),
    ]);
    expect(one.txnId).not.toEqual(two.txnId);
    const seen = await readAll('edge-txn');
    expect(seen.length).toBe(3000);
    expect(byKey(seen.filter((e) => e.startsWith('edge-x|')))).toEqual(byKey(expected('x', 1500)));
    expect(byKey(seen.filter((e) => e.startsWith('edge-y|')))).toEqual(byKey(expected('y', 1500)));
    expect(await client.transactionStatus('edge-txn', String(one.txnId))).toBe('committed');
  });
});
