/**
 * Runs the Java peer (interop/, on Pravega's own client) and returns its JSON lines. The jar is
 * built with Maven on first use in a run, or when a source is newer than it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('..', import.meta.url));
const jar = join(dir, 'target', 'sluice-interop-0.0.0.jar');
const cpFile = join(dir, 'target', 'classpath.txt');
let classpath: string | undefined;

function newestSource(folder: string): number {
  let newest = statSync(join(dir, 'pom.xml')).mtimeMs;
  for (const name of readdirSync(folder, { recursive: true }) as string[]) {
    const file = join(folder, name);
    if (name.endsWith('.java')) newest = Math.max(newest, statSync(file).mtimeMs);
  }
  return newest;
}

function mvn(args: string[]): void {
  const r = spawnSync('mvn', ['-B', '-ntp', '-q', ...args], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 32 * 1024 * 1024,
  });
  if (r.error)
    throw new Error('Maven is needed to build the Java interop peer (mvn not found): apt-get install -y maven');
  if (r.status !== 0)
    throw new Error(
      `building the Java interop peer failed:\n${`${r.stdout}${r.stderr}`.split('\n').slice(-30).join('\n')}`,
    );
}

/** Builds the peer if needed; returns the java -cp value. */
export function javaPeerClasspath(): string {
  if (classpath) return classpath;
  const stale = !existsSync(jar) || !existsSync(cpFile) || statSync(jar).mtimeMs < newestSource(join(dir, 'src'));
  if (stale) {
    console.log('[interop] building the Java peer (io.pravega:pravega-client:0.13.0) with Maven…');
    mvn(['package']);
    mvn(['dependency:build-classpath', `-Dmdep.outputFile=${cpFile}`]);
  }
  classpath = `${jar}:${readFileSync(cpFile, 'utf8').trim()}`;
  return classpath;
}

/** The peer's connection flags for one stream: --controller (this run's standalone) --scope --stream. */
export function streamArgs(scope: string, stream: string): string[] {
  return [
    '--controller',
    process.env.PRAVEGA_CONTROLLER_URI ?? 'tcp://127.0.0.1:9090',
    '--scope',
    scope,
    '--stream',
    stream,
  ];
}

export interface JavaPeerOptions {
  timeoutMs?: number;
  onLine?: (line: Record<string, unknown>) => void;
}

/** Runs one subcommand of the Java peer; resolves with its JSON lines. */
export function javaPeer(args: string[], opts: JavaPeerOptions = {}): Promise<Array<Record<string, unknown>>> {
  const cp = javaPeerClasspath();
  return new Promise((resolve, reject) => {
    const child = spawn('java', ['-Xmx1g', '-cp', cp, 'dev.sluice.interop.Main', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Array<Record<string, unknown>> = [];
    let partial = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      partial += chunk;
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const part of parts) {
        if (!part.trim()) continue;
        const obj = JSON.parse(part) as Record<string, unknown>;
        lines.push(obj);
        opts.onLine?.(obj);
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-8000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(lines);
      else
        reject(
          new Error(`java peer ${args[0]} exited ${signal ?? code}:\n${stderr.split('\n').slice(-15).join('\n')}`),
        );
    });
  });
}
