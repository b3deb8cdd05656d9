/**
 * Runs the Java peer (interop/, on Pravega's own client 0.13.0) and reads its JSON lines. The jar
 * and its classpath are built with Maven on first use in a run, or when a source or the pom is
 * newer than the jar; a lock file keeps concurrent runs on one machine from building at once.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** One JSON object printed by the peer. */
export type JsonLine = Record<string, unknown>;

const dir = fileURLToPath(new URL('..', import.meta.url));
const target = join(dir, 'target');
const jar = join(target, 'sluice-interop-0.0.0.jar');
const cpFile = join(target, 'classpath.txt');
const lockFile = join(target, 'build.lock');
let classpath: string | undefined;

function newestInput(folder: string): number {
  let newest = statSync(join(dir, 'pom.xml')).mtimeMs;
  for (const name of readdirSync(folder, { recursive: true }) as string[]) {
    if (name.endsWith('.java')) newest = Math.max(newest, statSync(join(folder, name)).mtimeMs);
  }
  return newest;
}

function stale(): boolean {
  return !existsSync(jar) || !existsSync(cpFile) || statSync(jar).mtimeMs < newestInput(join(dir, 'src'));
}

function mvn(args: string[]): void {
  const r = spawnSync('mvn', ['-B', '-ntp', '-q', ...args], { cwd: dir, encoding: 'utf8', maxBuffer: 32 << 20 });
  if (r.error)
    throw new Error('Maven is needed to build the Java interop peer (mvn not found on PATH): apt-get install -y maven');
  if (r.status !== 0)
    throw new Error(
      `building the Java interop peer failed:\n${`${r.stdout}${r.stderr}`.trim().split('\n').slice(-30).join('\n')}`,
    );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Runs `fn` holding target/build.lock; a lock left by a dead process is taken over. */
function withBuildLock<T>(fn: () => T): T {
  mkdirSync(target, { recursive: true });
  for (;;) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(lockFile, 'utf8'));
      if (holder && alive(holder)) sleepSync(250);
      else rmSync(lockFile, { force: true });
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lockFile, { force: true });
  }
}

/** Builds the peer if needed (synchronously, once per process); returns the `java -cp` value. */
export function javaPeerClasspath(): string {
  if (classpath) return classpath;
  if (stale()) {
    withBuildLock(() => {
      if (!stale()) return;
      console.log('[interop] building the Java peer (io.pravega:pravega-client:0.13.0) with Maven…');
      mvn(['package']);
      mvn(['dependency:build-classpath', `-Dmdep.outputFile=${cpFile}`]);
    });
  }
  classpath = `${jar}:${readFileSync(cpFile, 'utf8').trim()}`;
  return classpath;
}

/** This run's standalone: the global setup's, else the shared one on 9090. */
export function controllerUri(): string {
  return process.env.PRAVEGA_CONTROLLER_URI ?? 'tcp://127.0.0.1:9090';
}

/** The peer's connection flags for one stream: --controller (this run's standalone) --scope --stream. */
export function streamArgs(scope: string, stream: string): string[] {
  return ['--controller', controllerUri(), '--scope', scope, '--stream', stream];
}

export interface JavaPeerOptions {
  /** Kills the peer (SIGKILL) and rejects after this long; default 120000. */
  timeoutMs?: number;
  /** Called with each JSON line as it arrives. */
  onLine?: (line: JsonLine) => void;
}

/** A running peer: iterate it for its JSON lines; the iteration throws if the peer fails. */
export interface JavaPeerProcess extends AsyncIterable<JsonLine> {
  readonly child: ChildProcess;
  /** Resolves when the process has exited (whatever the outcome). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines the peer wrote to stderr. */
  stderrTail(lines?: number): string;
  /** Ends the peer (SIGTERM by default) and waits for its exit; the iteration then just ends. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts one subcommand of the Java peer, for long runs read line by line (`stdin`: a pipe to write to). */
export function spawnJavaPeer(args: string[], options: { stdin?: boolean } = {}): JavaPeerProcess {
  const cp = javaPeerClasspath();
  const argv = args.includes('--controller') ? args : [...args, '--controller', controllerUri()];
  const child = spawn('java', ['-Xmx1g', '-cp', cp, 'dev.sluice.interop.Main', ...argv], {
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-16_000);
  });
  let stopped = false;
  let spawnError: Error | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (err) => {
      spawnError = err;
      resolve({ code: null, signal: null });
    });
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  const stderrTail = (lines = 15) => stderr.trimEnd().split('\n').slice(-lines).join('\n');
  // Created now, so that no line is lost before the caller starts iterating.
  const lines = createInterface({ input: child.stdout!, crlfDelay: Number.POSITIVE_INFINITY })[Symbol.asyncIterator]();
  async function* iterate(): AsyncGenerator<JsonLine> {
    for (let next = await lines.next(); !next.done; next = await lines.next()) {
      const text = next.value.trim();
      if (!text) continue;
      try {
        yield JSON.parse(text) as JsonLine;
      } catch {
        child.kill('SIGKILL');
        throw new Error(`java peer ${args[0]} printed a line that is not JSON: ${text.slice(0, 200)}`);
      }
    }
    const { code, signal } = await exited;
    if (spawnError) throw new Error(`Java is needed for the interop peer: ${spawnError.message}`);
    if (code !== 0 && !stopped) throw new Error(`java peer ${args[0]} exited ${signal ?? code}:\n${stderrTail()}`);
  }
  const iterator = iterate();
  return {
    child,
    exited,
    stderrTail,
    [Symbol.asyncIterator]: () => iterator,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/**
 * Runs one subcommand of the Java peer to its end; resolves with its JSON lines, rejects with the
 * tail of its stderr when it exits non-zero or runs past `timeoutMs`.
 */
export async function javaPeer(args: string[], opts: JavaPeerOptions = {}): Promise<JsonLine[]> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const peer = spawnJavaPeer(args);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void peer.stop('SIGKILL');
  }, timeoutMs);
  const out: JsonLine[] = [];
  try {
    for await (const line of peer) {
      out.push(line);
      opts.onLine?.(line);
    }
  } catch (err) {
    await peer.stop('SIGKILL');
    throw err;
  } finally {
    clearTimeout(timer);
  }
  if (timedOut) throw new Error(`java peer ${args[0]} timed out after ${timeoutMs} ms:\n${peer.stderrTail()}`);
  return out;
}
