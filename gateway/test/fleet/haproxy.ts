/**
 * Debian's HAProxy (/usr/sbin/haproxy) in front of gateways, as docs/deploy.md configures it: a
 * health check on each gateway's /readyz (admin port), upgrades refused by a draining gateway
 * retried on another, X-Forwarded-For added.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const HAPROXY = process.env.SLUICE_HAPROXY ?? '/usr/sbin/haproxy';

export interface Backend {
  readonly name: string;
  readonly port: number;
  readonly adminPort: number;
}

export function haproxyConfig(frontPort: number, statsPort: number, backends: readonly Backend[]): string {
  return [
    'global',
    '    maxconn 4096',
    'defaults',
    '    mode http',
    '    timeout connect 2s',
    '    timeout client 60s',
    '    timeout server 60s',
    '    timeout tunnel 1h',
    '    option redispatch',
    '    retries 3',
    '    retry-on conn-failure empty-response 503',
    'frontend sluice',
    `    bind 127.0.0.1:${frontPort}`,
    '    default_backend gateways',
    'backend gateways',
    '    balance leastconn',
    '    option httpchk GET /readyz',
    '    http-check expect status 200',
    '    option forwardfor',
    '    default-server inter 200ms fall 1 rise 2',
    ...backends.map((b) => `    server ${b.name} 127.0.0.1:${b.port} check port ${b.adminPort}`),
    'listen stats',
    `    bind 127.0.0.1:${statsPort}`,
    '    stats enable',
    '    stats uri /stats',
    '',
  ].join('\n');
}

export class HaproxyProcess {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'sluice-haproxy-'));
  output = '';

  constructor(
    readonly frontPort: number,
    readonly statsPort: number,
    private readonly backends: readonly Backend[],
  ) {}

  get url(): string {
    return `ws://127.0.0.1:${this.frontPort}`;
  }

  async start(): Promise<void> {
    const file = join(this.dir, 'haproxy.cfg');
    writeFileSync(file, haproxyConfig(this.frontPort, this.statsPort, this.backends));
    // -db: foreground, no daemon; -W would add a master process we do not need.
    const child = spawn(HAPROXY, ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (d: Buffer) => {
      this.output = (this.output + d.toString()).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}:\n${this.output}`);
      if ((await this.status()) !== undefined) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`haproxy did not start:\n${this.output}`);
  }

  /** Each server's state as HAProxy sees it (UP, DOWN, …), from its CSV stats. */
  async status(): Promise<Map<string, string> | undefined> {
    try {
      const csv = await (await fetch(`http://127.0.0.1:${this.statsPort}/stats;csv`)).text();
      const rows = csv.split('\n').map((l) => l.split(','));
      const header = rows[0]!;
      const col = header.indexOf('status');
      return new Map(rows.filter((r) => r[0] === 'gateways' && r[1] !== 'BACKEND').map((r) => [r[1]!, r[col]!]));
    } catch {
      return undefined;
    }
  }

  async waitFor(server: string, state: 'UP' | 'DOWN'): Promise<void> {
    for (let i = 0; i < 600; i++) {
      if ((await this.status())?.get(server)?.startsWith(state)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`haproxy never saw ${server} ${state}: ${JSON.stringify([...((await this.status()) ?? [])])}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
