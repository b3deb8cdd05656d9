/**
 * A TCP proxy that breaks things on cue, for fault tests: cut every connection (reset), delay
 * each chunk by 0–N ms (order kept per direction), or deliver bytes one at a time.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class FaultProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<[Socket, Socket]>();
  maxDelayMs = 0;
  fragment = false;
  port = 0;

  constructor(
    private readonly targetPort: number,
    private readonly targetHost = '127.0.0.1',
  ) {}

  /** Listens on `port` (0: any free port, then read `port`). */
  async start(port: number): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      this.pipe(client, upstream);
      this.pipe(upstream, client);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.pairs.delete(pair);
      };
      for (const s of pair) s.on('error', drop).on('close', drop);
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', () => resolve()));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : port;
  }

  /** Resets every open connection (both sides see it die). */
  cutAll(): number {
    const n = this.pairs.size;
    for (const [a, b] of this.pairs) {
      a.resetAndDestroy();
      b.resetAndDestroy();
    }
    this.pairs.clear();
    return n;
  }

  async stop(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private pipe(from: Socket, to: Socket): void {
    let chain = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      const delay = this.maxDelayMs > 0 ? Math.floor(Math.random() * this.maxDelayMs) : 0;
      const fragment = this.fragment;
      chain = chain.then(async () => {
        if (delay > 0) await new Promise((r) => setTimeout(r, delay));
        if (to.destroyed) return;
        if (fragment) for (let i = 0; i < chunk.length; i++) to.write(chunk.subarray(i, i + 1));
        else to.write(chunk);
      });
    });
  }
}
