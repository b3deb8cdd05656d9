/**
 * The exactly-once copier (stream A → stream B through transactions, checkpointed to files),
 * SIGKILLed three times mid-run and restarted: B holds A's events exactly once, in per-key order.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkpointStores, connect, Serializers, type SluiceClient } from '@sluice/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { reportScenario } from '../../gateway/test/faults/report.js';
import { GatewayProcess } from '../../gateway/test/helpers/gateway-process.js';
import { uniqueName } from '../../gateway/test/helpers/names.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const controller = () => process.env.PRAVEGA_CONTROLLER_URI ?? 'tcp://127.0.0.1:9090';
const TOTAL = Number(process.env.SLUICE_PIPELINE_EVENTS ?? 100_000);
const scope = uniqueName('pipe');
let gateway: GatewayProcess;
let client: SluiceClient;

beforeAll(async () => {
  gateway = await GatewayProcess.start(['--controller', controller(), '--scope', scope]);
  client = await connect({ url: gateway.url, scope, WebSocket });
  await client.createScope(scope);
}, 120_000);

afterAll(async () => {
  await client?.close();
  await gateway?.stop();
});

function startCopier(args: string[]): {
  child: ChildProcess;
  checkpoints: () => number;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'interop/test/fixtures/copier.ts', ...args], {
    cwd: root,
    env: { ...process.env, SLUICE_URL: gateway.url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let checkpoints = 0;
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    checkpoints += (d.toString().match(/"checkpoint"/g) ?? []).length;
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      if (code !== 0 && code !== null) console.error(stderr);
      resolve(code);
    }),
  );
  return { child, checkpoints: () => checkpoints, exited };
}

describe('exactly-once pipeline', () => {
  it(`copies ${TOTAL} events exactly once across 3 SIGKILLs of the copier`, async () => {
    const a = uniqueName('a');
    const b = uniqueName('b');
    await client.createStream(a, { scaling: { type: 'fixed', segments: 3 } });
    await client.createStream(b, { scaling: { type: 'fixed', segments: 2 } });
    const writer = client.writer(a, { serializer: Serializers.utf8() });
    const writes: Promise<void>[] = [];
    for (let i = 0; i < TOTAL; i++) {
      const key = `key-${i % 64}`;
      writes.push(writer.write(`${key}|${i}`, key));
      if (i % 5_000 === 4_999) await Promise.all(writes.splice(0));
    }
    await Promise.all(writes);
    await writer.close();

    const dir = mkdtempSync(join(tmpdir(), 'sluice-copier-'));
    const args = [scope, a, b, dir];
    for (let kill = 0; kill < 3; kill++) {
      const run = startCopier(args);
      // Let it make progress (at least one checkpoint), then kill it mid-batch.
      while (run.checkpoints() < 2) {
        const done = await Promise.race([
          run.exited.then(() => true),
          new Promise((r) => setTimeout(r, 50)).then(() => false),
        ]);
        if (done) break;
      }
      await new Promise((r) => setTimeout(r, 150 + Math.floor(Math.random() * 400)));
      run.child.kill('SIGKILL');
      expect(await run.exited, 'the copier was killed mid-run, not finished').toBeNull();
      expect(run.checkpoints()).toBeGreaterThanOrEqual(2);
    }
    const last = startCopier(args);
    expect(await last.exited).toBe(0);

    const end = (await client.streamInfo(b)).tail;
    const got: string[] = [];
    for await (const ev of client.reader(b, { serializer: Serializers.utf8(), from: 'head', to: end }))
      got.push(ev.value);
    const counts = new Map<string, number>();
    for (const v of got) counts.set(v, (counts.get(v) ?? 0) + 1);
    let reordered = 0;
    const seqs = new Map<string, number>();
    for (const v of got) {
      const [key, seq] = v.split('|') as [string, string];
      if (Number(seq) <= (seqs.get(key) ?? -1)) reordered++;
      seqs.set(key, Number(seq));
    }
    reportScenario({
      scenario: 'R3 exactly-once copier pipeline SIGKILLed, resumed from its checkpoints',
      cycles: 3,
      events: TOTAL,
      lostAcked: [...Array(TOTAL).keys()].filter((i) => !counts.has(`key-${i % 64}|${i}`)).length,
      duplicate: [...counts].filter(([, n]) => n > 1).length,
      reorderedWithinKey: reordered,
      abortedVisible: 0,
      unseen: 0,
    });
    expect([...counts].filter(([, n]) => n > 1).slice(0, 10)).toEqual([]);
    expect(got).toHaveLength(TOTAL);
    const lastSeq = new Map<string, number>();
    for (const v of got) {
      const [key, seq] = v.split('|') as [string, string];
      expect(Number(seq)).toBeGreaterThan(lastSeq.get(key) ?? -1);
      lastSeq.set(key, Number(seq));
    }
  });

  it('refuses a corrupt checkpoint instead of restarting from the head', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-corrupt-'));
    writeFileSync(join(dir, `${encodeURIComponent('broken')}.checkpoint.json`), '{"id": "x"');
    await expect(checkpointStores.file(dir).load('broken')).rejects.toMatchObject({ code: 'invalid-argument' });
  });
});
