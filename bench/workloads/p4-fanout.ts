/**
 * P4: fan-out. `subscribers` SDK readers of one stream on one gateway (a child process), the
 * readers in `processes` client processes (p4-subscribers.ts), while an open-loop writer in this
 * process writes `rate` events/s. Reports the read amplification — bytes the gateway read from
 * Pravega (its sluice_pravega_read_bytes_total) ÷ bytes of the stream (its tail cut) — and the
 * delivery latency from each event's intended send time to each reader (coordinated omission
 * corrected: a writer that falls behind is charged for it), merged over every reader.
 * `sharing: false` runs the same with --tail-cache-bytes 0 (every reader reads on its own).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Serializers } from '@sluice/sdk';
import * as hdr from 'hdr-histogram-js';
import { GatewayProcess } from '../../gateway/test/helpers/gateway-process.js';
import { uniqueName } from '../../gateway/test/helpers/names.js';
import { connectSdk } from '../../gateway/test/helpers/sdk.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface FanoutOptions {
  controller: string;
  scope: string;
  subscribers: number;
  /** Client processes the readers are spread over. */
  processes: number;
  segments: number;
  rate: number;
  seconds: number;
  warmupSeconds: number;
  size: number;
  sharing: boolean;
  log: (line: string) => void;
}

export interface FanoutSample {
  /** Bytes read from Pravega ÷ bytes of the stream. */
  amplification: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Events delivered (all readers, after the warm-up too). */
  delivered: number;
  streamBytes: number;
  readBytes: number;
}

/** Sum of a counter's samples in a Prometheus text exposition. */
function counterSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

async function readBytes(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  return counterSum(await res.text(), 'sluice_pravega_read_bytes_total');
}

/** The next JSON line a child prints (its stdout), with a deadline. */
function lines(child: ChildProcess): AsyncIterator<string> {
  return createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
}

async function nextMessage<T>(it: AsyncIterator<string>, what: string, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`P4: ${what} within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    const r = await Promise.race([it.next(), deadline]);
    if (r.done) throw new Error(`P4: a subscriber process exited before ${what}`);
    return JSON.parse(r.value) as T;
  } finally {
    clearTimeout(timer);
  }
}

export async function fanout(o: FanoutOptions): Promise<FanoutSample> {
  const gateway = await GatewayProcess.start([
    '--controller',
    o.controller,
    '--scope',
    o.scope,
    // One client IP opens every connection here; readers of all processes share few sockets.
    '--connections-per-second-per-ip',
    '0',
    ...(o.sharing ? [] : ['--tail-cache-bytes', '0']),
  ]);
  const client = await connectSdk(gateway.url, o.scope);
  const stream = uniqueName('fanout');
  const children: ChildProcess[] = [];
  try {
    await client.createStream(stream, { scaling: { type: 'fixed', segments: o.segments } });
    const total = Math.floor(o.rate * (o.seconds + o.warmupSeconds));
    const warmup = Math.floor(o.rate * o.warmupSeconds);
    const per = Math.ceil(o.subscribers / o.processes);
    const outputs: Array<AsyncIterator<string>> = [];
    for (let i = 0; i < o.processes; i++) {
      const readers = Math.min(per, o.subscribers - i * per);
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'bench/workloads/p4-subscribers.ts',
          '--url',
          gateway.url,
          '--scope',
          o.scope,
          '--stream',
          stream,
          '--readers',
          String(readers),
          '--total',
          String(total),
          '--warmup',
          String(warmup),
        ],
        { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] },
      );
      children.push(child);
      outputs.push(lines(child));
    }
    await Promise.all(outputs.map((it) => nextMessage(it, 'readers open', 300_000)));
    o.log(`P4 ${o.sharing ? 'sharing on ' : 'sharing off'}: ${o.subscribers} readers open; writing ${total} events`);
    const before = await readBytes(gateway.port);

    // The open-loop writer: event i is due at start + i / rate; it carries that time.
    const writer = client.writer(stream, { serializer: Serializers.bytes() });
    const size = Math.max(16, o.size);
    const start = performance.timeOrigin + performance.now();
    const intended = (seq: number) => start + (seq * 1000) / o.rate;
    let failed: unknown;
    const done = Promise.all(
      outputs.map((it) =>
        nextMessage<{ histogram: string; events: number }>(it, 'every reader saw every event', 600_000),
      ),
    );
    for (let seq = 0; seq < total && failed === undefined; ) {
      const now = performance.timeOrigin + performance.now();
      while (seq < total && intended(seq) <= now) {
        const payload = new Uint8Array(size);
        const view = new DataView(payload.buffer);
        view.setFloat64(0, intended(seq));
        view.setFloat64(8, seq);
        writer.write(payload, `key-${seq % 100}`).catch((err: unknown) => {
          failed ??= err;
        });
        seq++;
      }
      if (seq < total)
        await new Promise((r) =>
          setTimeout(r, Math.max(0, intended(seq) - performance.timeOrigin - performance.now())),
        );
    }
    if (failed !== undefined) throw failed;
    await writer.flush();
    await writer.close();
    const reports = await done;
    const after = await readBytes(gateway.port);

    const merged = hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 300_000_000,
      numberOfSignificantValueDigits: 3,
    });
    for (const r of reports) {
      const h = hdr.decodeFromCompressedBase64(r.histogram);
      merged.add(h);
      h.destroy();
    }
    const info = await client.streamInfo(stream);
    let streamBytes = 0;
    for (const [, offset] of info.tail.positions) streamBytes += Number(offset);
    const ms = (p: number) => merged.getValueAtPercentile(p) / 1000;
    const sample: FanoutSample = {
      amplification: (after - before) / streamBytes,
      p50Ms: ms(50),
      p99Ms: ms(99),
      maxMs: merged.maxValue / 1000,
      delivered: reports.reduce((n, r) => n + r.events, 0),
      streamBytes,
      readBytes: after - before,
    };
    merged.destroy();
    return sample;
  } finally {
    for (const child of children) child.stdin?.end();
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
            c.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
          }),
      ),
    );
    try {
      await client.sealStream(stream);
      await client.deleteStream(stream);
    } catch {
      // best effort: the standalone is shared
    }
    await client.close();
    await gateway.stop();
  }
}
