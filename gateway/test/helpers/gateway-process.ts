/**
 * Runs the real gateway CLI as a child process, so tests can SIGKILL and restart it.
 * It listens on a fixed free port chosen once, so a client reconnects to the same URL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

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

export class GatewayProcess {
  private child: ChildProcess | undefined;
  readonly url: string;
  output = '';

  constructor(
    readonly port: number,
    private readonly args: string[] = [],
    /** Keep every byte of output (log scans); otherwise only the last 20,000 characters. */
    private readonly keepAllOutput = false,
    /** Environment variables for the child on top of this process's (e.g. a diagnostic's variant). */
    private readonly extraEnv: Record<string, string> = {},
  ) {
    this.url = `ws://127.0.0.1:${port}`;
  }

  /** The child's process id while it runs (e.g. to read its memory from /proc). */
  get pid(): number | undefined {
    return this.child?.exitCode === null ? this.child.pid : undefined;
  }

  static async start(
    args: string[] = [],
    options: { keepAllOutput?: boolean; env?: Record<string, string> } = {},
  ): Promise<GatewayProcess> {
    const gw = new GatewayProcess(await freePort(), args, options.keepAllOutput, options.env);
    await gw.start();
    return gw;
  }

  async start(): Promise<void> {
    const child = spawn(
      process.execPath,
      [
        // e.g. SLUICE_GATEWAY_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile a benchmark's gateway
        ...(process.env.SLUICE_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
        '--import',
        'tsx',
        'gateway/src/server/cli.ts',
        '--port',
        String(this.port),
        '--log-level',
        'warn',
        ...this.args,
      ],
      { cwd: root, env: { ...process.env, ...this.extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => this.keep(d));
    child.stderr?.on('data', (d: Buffer) => this.keep(d));
    await this.waitHealthy();
  }

  /** SIGKILL: no shutdown hook runs, in-flight work is lost as in a crash. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  private keep(chunk: Buffer): void {
    // e.g. SLUICE_GATEWAY_OUTPUT=/tmp/gw.log with SLUICE_GATEWAY_NODE_ARGS=--trace-gc
    if (process.env.SLUICE_GATEWAY_OUTPUT) appendFileSync(process.env.SLUICE_GATEWAY_OUTPUT, chunk);
    this.output = this.output + chunk.toString();
    if (!this.keepAllOutput) this.output = this.output.slice(-20_000);
  }

  private async waitHealthy(): Promise<void> {
    for (let i = 0; i < 300; i++) {
      if (this.child?.exitCode !== null && this.child?.exitCode !== undefined) {
        throw new Error(`gateway exited with ${this.child.exitCode}:\n${this.output}`);
      }
      try {
        const res = await fetch(`http://127.0.0.1:${this.port}/healthz`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`gateway did not become healthy:\n${this.output}`);
  }
}
