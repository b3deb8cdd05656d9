/**
 * A loopback TCP proxy that can hold back what the server sends, on cue: while held, the
 * server's replies (a segment store's acknowledgements) wait in the kernel, unread, exactly as
 * if the server were slow to answer; released, they flow on in order. Requests keep flowing.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class HoldingProxy {
  private server: Server | undefined;
  private readonly upstreams = new Set<Socket>();
  private readonly sockets = new Set<Socket>();
  private held = false;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<number> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      this.sockets.add(client).add(upstream);
      this.upstreams.add(upstream);
      client.pipe(upstream);
      // By hand, not pipe(): a pipe resumes its source on 'drain', which would end a hold.
      upstream.on('data', (chunk: Buffer) => {
        if (client.write(chunk)) return;
        upstream.pause();
        client.once('drain', () => {
          if (!this.held) upstream.resume();
        });
      });
      if (this.held) upstream.pause();
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
        this.upstreams.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    return this.port;
  }

  /** Stops passing on what the server sends. */
  hold(): void {
    this.held = true;
    for (const s of this.upstreams) s.pause();
  }

  /** Passes on what was held, and everything after. */
  release(): void {
    this.held = false;
    for (const s of this.upstreams) s.resume();
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    this.upstreams.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
