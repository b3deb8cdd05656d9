/**
 * P5: idle authenticated sessions per gateway process and RSS per session. A server child
 * process (the gateway with HS256 auth on, or the anchor: a bare `ws` server) and a separate
 * client process (sessions-client.ts) that opens the sessions in batches; the server's VmRSS
 * (/proc/<pid>/status) is read before the first session and once all are open and idle.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../gateway/test/helpers/gateway-process.js';
import { GATEWAY_NODE_FLAGS } from '../../scripts/gateway-node-flags.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface SessionsSample {
  /** Sessions open and idle at the measurement. */
  sessions: number;
  /** (VmRSS with them − VmRSS before the first) ÷ sessions, in KB (1024 B). */
  kbPerSession: number;
  /** The server's VmRSS with every session open, in MB. */
  rssMb: number;
}

export interface SessionsOptions {
  count: number;
  batch: number;
  controller: string;
  scope: string;
  log: (line: string) => void;
}

/** VmRSS of a process in KB. */
export function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (line) => {
      rl.close();
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code} before listening`)));
  });
}

async function startServer(kind: 'sluice' | 'bare', o: SessionsOptions, dir: string) {
  const tsx = [process.execPath, '--import', 'tsx'] as const;
  if (kind === 'bare') {
    const child = spawn(tsx[0], [...tsx.slice(1), 'bench/workloads/bare-ws-server.ts'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const { port } = JSON.parse(await firstLine(child)) as { port: number };
    return { child, url: `ws://127.0.0.1:${port}`, token: '' };
  }
  const secretFile = join(dir, 'secret.key');
  writeFileSync(secretFile, `bench-secret-${Math.random().toString(36).slice(2)}-of-enough-length`);
  const token = execFileSync(
    tsx[0],
    [...tsx.slice(1), 'gateway/src/server/cli.ts', 'token', '--grant', `${o.scope}/*:read,write`, '--ttl', '1h'],
    { cwd: root, encoding: 'utf8', env: { ...process.env, SLUICE_AUTH_SECRET_FILE: secretFile } },
  ).trim();
  const port = await freePort();
  const child = spawn(
    tsx[0],
    [
      ...GATEWAY_NODE_FLAGS,
      ...tsx.slice(1),
      'gateway/src/server/cli.ts',
      '--port',
      String(port),
      '--controller',
      o.controller,
      '--scope',
      o.scope,
      '--log-level',
      'warn',
      '--auth-secret-file',
      secretFile,
      // One client IP and one token subject open every session here: the per-IP and per-subject
      // connection rate limits would pace it.
      '--connections-per-second-per-ip',
      '0',
      '--connections-per-second-per-subject',
      '0',
    ],
    { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`gateway exited ${child.exitCode}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 300) throw new Error('gateway did not become healthy');
    await sleep(100);
  }
  return { child, url: `ws://127.0.0.1:${port}`, token };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Opens `count` idle sessions against a fresh server process of `kind`; measures its RSS. */
export async function idleSessions(kind: 'sluice' | 'bare', o: SessionsOptions): Promise<SessionsSample> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-p5-'));
  const server = await startServer(kind, o, dir);
  const pid = server.child.pid!;
  let client: ChildProcess | undefined;
  try {
    await sleep(2_000); // start-up garbage collected, timers settled
    const before = rssKb(pid);
    client = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/workloads/sessions-client.ts',
        '--url',
        server.url,
        '--token',
        server.token,
        '--count',
        String(o.count),
        '--batch',
        String(o.batch),
      ],
      { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    let opened = 0;
    let lastLog = 0;
    for await (const line of createInterface({ input: client.stdout! })) {
      const msg = JSON.parse(line) as { opened: number; failed: number; done?: boolean; lastError?: string };
      opened = msg.opened;
      if (msg.failed) o.log(`P5 ${kind}: ${msg.failed} session(s) failed (${msg.lastError}); holding ${opened}`);
      if (msg.done) break;
      if (opened - lastLog >= o.count / 5) {
        lastLog = opened;
        o.log(`P5 ${kind}: ${opened.toLocaleString()} sessions, server RSS ${Math.round(rssKb(pid) / 1024)} MB`);
      }
    }
    await sleep(3_000); // idle: handshakes' garbage collected
    const after = rssKb(pid);
    return { sessions: opened, kbPerSession: (after - before) / Math.max(1, opened), rssMb: after / 1024 };
  } finally {
    if (client) {
      client.stdin?.end();
      await new Promise<void>((r) => (client!.exitCode !== null ? r() : client!.once('exit', () => r())));
    }
    await stop(server.child);
    rmSync(dir, { recursive: true, force: true });
  }
}
