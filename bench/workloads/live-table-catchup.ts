/**
 * L1: a live table's catch-up — building the latest value per key from a stream's head — against a
 * plain SDK reader's catch-up of the same stream in the same run (there is no Java live table).
 * The history is written once (`writeLiveHistory`); each phase runs in a fresh child process
 * (live-table-child.ts, --expose-gc) that reports events/s, MB/s and the heap it kept per key.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Serializers, type SluiceClient } from '@sluice/sdk';

const root = new URL('../../', import.meta.url).pathname;

/** Event i: "k<i % keys>|<i>|" padded with 'x' to `size` bytes, routing key its key (per-key order). */
export async function writeLiveHistory(
  client: SluiceClient,
  stream: string,
  o: { events: number; keys: number; size: number },
): Promise<void> {
  const writer = client.writer(stream, { serializer: Serializers.utf8() });
  try {
    let last: Promise<void> = Promise.resolve();
    for (let i = 0; i < o.events; i++) {
      const key = `k${i % o.keys}`;
      last = writer.write(`${key}|${i}|`.padEnd(o.size, 'x'), key);
      if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
    }
    await last;
    await writer.flush();
  } finally {
    await writer.close();
  }
}

export interface LiveCatchupSample extends Record<string, number> {
  eventsPerSec: number;
  mbPerSec: number;
  bytesPerKey: number;
}

/** One phase in a child process: `mode` reader (the anchor), table, or map (a diagnostic: a bare Map fed by the reader). */
export async function liveCatchup(o: {
  url: string;
  scope: string;
  stream: string;
  events: number;
  keys: number;
  mode: 'reader' | 'table' | 'map';
}): Promise<LiveCatchupSample> {
  const args = ['--url', o.url, '--scope', o.scope, '--stream', o.stream, '--events', String(o.events)];
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      'tsx',
      'bench/workloads/live-table-child.ts',
      ...args,
      '--keys',
      String(o.keys),
      '--mode',
      o.mode,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  let line: string | undefined;
  for await (const l of createInterface({ input: child.stdout! })) if (l.startsWith('{')) line = l;
  const code = await exited;
  if (code !== 0 || !line) throw new Error(`L1 ${o.mode} phase exited ${code}`);
  const r = JSON.parse(line) as { events: number; bytes: number; seconds: number; heapDeltaBytes: number };
  return {
    eventsPerSec: r.events / r.seconds,
    mbPerSec: r.bytes / 1e6 / r.seconds,
    bytesPerKey: r.heapDeltaBytes / o.keys,
  };
}
