/**
 * Runs the real gateway CLI as a child process, so tests can SIGKILL and restart it.
 * It listens on a fixed free port chosen once, so a client reconnects to the same URL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { GATEWAY_NODE_FLAGS } from '../../../scripts/gateway-node-flags.mjs';

const root = fileURLToPath(new URL('../../..', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface GatewayProcessOptions {
  /** Keep every byte of output (log scans); otherwise only the last 20,000 characters. */
  keepAllOutput?: boolean;
  /**
   * Environment variables for the child on top of this process's (e.g. a diagnostic's variant),
   * SLUICE_GATEWAY_NODE_ARGS and SLUICE_GATEWAY_OUTPUT included.
   */
  env?: Record<string, string>;
}

export class GatewayProcess {
  private child: ChildProcess | undefined;
  readonly url: string;
  output = '';
  private outputFile: string | undefined;

  constructor(
    readonly port: number,
    private readonly args: string[] = [],
    private readonly options: GatewayProcessOptions = {},
  ) {
    this.url = `ws://127.0.0.1:${port}`;
  }

  /** The child's process id while it runs (e.g. to read its memory from /proc). */
  get pid(): number | undefined {
    const child = this.child;
    return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
  }

  static async start(args: string[] = [], options: GatewayProcessOptions = {}): Promise<GatewayProcess> {
    const gw = new GatewayProcess(await freePort(), args, options);
    await gw.start();
    return gw;
  }

  async start(): Promise<void> {
    const env = { ...process.env, ...this.options.env };
    this.outputFile = env.SLUICE_GATEWAY_OUTPUT;
    const child = spawn(
      process.execPath,
      [
        // e.g. SLUICE_GATEWAY_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile a benchmark's gateway
        ...GATEWAY_NODE_FLAGS,
        ...(env.SLUICE_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
        '--import',
        'tsx',
        'gateway/src/server/cli.ts',
        '--port',
        String(this.port),
        '--log-level',
        'warn',
        ...this.args,
      ],
      { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => this.keep(d));
    child.stderr?.on('data', (d: Buffer) => this.keep(d));
    await this.waitHealthy();
  }

  /** SIGKILL: no shutdown hook runs, in-flight work is lost as in a crash. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return; // exited already
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGTERM (a graceful drain), SIGKILL after `killAfterMs`; `exitCode` then says how it ended. */
  async stop(killAfterMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return; // exited already
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    await exited;
    clearTimeout(timer);
  }

  /** The exit code once the process exited (null while it runs, or when a signal ended it). */
  get exitCode(): number | null {
    return this.child?.exitCode ?? null;
  }

  /** Sends SIGTERM and returns at once; `exited()` then waits for the exit it leads to. */
  terminate(): void {
    this.child?.kill('SIGTERM');
  }

  /**
   * Waits for the exit a signal already sent leads to, without signalling again: a second SIGTERM
   * makes the gateway give up its drain and exit 1. SIGKILL after `killAfterMs`, so a hung exit
   * fails the test's exit-code check instead of hanging it.
   */
  async exited(killAfterMs = 30_000): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    await exited;
    clearTimeout(timer);
  }

  /** Where /healthz, /readyz and /metrics are: --admin-port when given, else --port. */
  get adminPort(): number {
    const i = this.args.indexOf('--admin-port');
    return i >= 0 ? Number(this.args[i + 1]) : this.port;
  }

  private keep(chunk: Buffer): void {
    // e.g. SLUICE_GATEWAY_OUTPUT=/tmp/gw.log with SLUICE_GATEWAY_NODE_ARGS=--trace-gc
    if (this.outputFile) appendFileSync(this.outputFile, chunk);
    this.output = this.output + chunk.toString();
    if (!this.options.keepAllOutput) this.output = this.output.slice(-20_000);
  }

  private async waitHealthy(): Promise<void> {
    for (let i = 0; i < 300; i++) {
      const child = this.child;
      if (child && (child.exitCode !== null || child.signalCode !== null)) {
        const how = child.exitCode !== null ? `with ${child.exitCode}` : `on ${child.signalCode}`;
        throw new Error(`gateway exited ${how} while starting:\n${this.output}`);
      }
      try {
        const res = await fetch(`http://127.0.0.1:${this.adminPort}/healthz`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await this.kill(); // not left running behind the error
    throw new Error(`gateway did not become healthy:\n${this.output}`);
  }
}
