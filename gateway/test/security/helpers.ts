/** Shared by the Pravega security tests: reading a stream back, running the gateway CLI. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Serializers, type SluiceClient } from '@sluice/sdk';
import { expect } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** Reads `n` events of `stream` from its head (utf8) and closes the reader. */
export async function readAll(client: SluiceClient, stream: string, n: number): Promise<string[]> {
  const reader = client.reader(stream, { serializer: Serializers.utf8(), from: 'head' });
  const out: string[] = [];
  try {
    for await (const ev of reader) {
      out.push(ev.value);
      if (out.length === n) break;
    }
  } finally {
    await reader.close();
  }
  return out;
}

/**
 * Writes `plain` events at-least-once and `inTxn` in one committed transaction to a new stream
 * of 2 segments, and reads every one of them back from the head.
 */
export async function writeBothWaysAndReadBack(
  client: SluiceClient,
  stream: string,
  plain: number,
  inTxn: number,
): Promise<void> {
  expect(await client.createStream(stream, { scaling: { type: 'fixed', segments: 2 } })).toBe(true);
  const writer = client.writer(stream, { serializer: Serializers.utf8() });
  const sent = Array.from({ length: plain }, (_, i) => `plain-${i}`);
  await Promise.all(sent.map((v, i) => writer.write(v, `k${i % 5}`)));
  await writer.close();

  const txWriter = client.writer(stream, { serializer: Serializers.utf8(), mode: 'exactly-once' });
  const tx = await txWriter.beginTxn();
  const inTx = Array.from({ length: inTxn }, (_, i) => `txn-${i}`);
  for (const [i, v] of inTx.entries()) await tx.write(v, `k${i % 5}`);
  await tx.prepare();
  await tx.commit();
  expect(await client.transactionStatus(stream, tx.txnId)).toBe('committed');
  await txWriter.close();

  const got = await readAll(client, stream, sent.length + inTx.length);
  expect([...got].sort()).toEqual([...sent, ...inTx].sort());
}

/** Runs the gateway CLI until it exits (or `limitMs`, then SIGKILL: a hang shows as code null). */
export function runCli(
  args: string[],
  limitMs = 60_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/src/server/cli.ts', ...args], {
      cwd: root,
      env: { ...process.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
