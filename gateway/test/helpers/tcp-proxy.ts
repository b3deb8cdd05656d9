/**
 * A loopback TCP proxy for tests: switch it off and on (while off it refuses connections and cuts
 * open ones, as if the server behind it were down), or point it elsewhere ("wherever the URL now
 * leads" — a load balancer reduced to one rule, for tests that move clients between gateways).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  /** Connections accepted so far (each reconnect of a client is one). */
  connections = 0;

  /** `targetPort` may change while running: new connections go to the new target. */
  constructor(
    private readonly targetHost: string,
    public targetPort: number,
  ) {}

  async start(port = 0): Promise<number> {
    const server = createServer((client) => {
      this.connections++;
      const upstream = connect(this.targetPort, this.targetHost);
      this.sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port || this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    return this.port;
  }

  /** The proxy's address as a gateway URL (`ws://`). */
  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** Refuses new connections and cuts the open ones. */
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
