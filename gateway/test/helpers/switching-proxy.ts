/**
 * A loopback TCP proxy whose target can change: "wherever the URL now leads" — a load balancer
 * reduced to one rule, for tests that move clients from one gateway to another.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';

export class SwitchingProxy {
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  port = 0;
  /** Connections made so far (each reconnect of a client is one). */
  connections = 0;

  constructor(public target: number) {}

  async start(): Promise<string> {
    const server = createServer((client) => {
      this.connections++;
      const upstream = tcpConnect(this.target, '127.0.0.1');
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
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (server.address() as { port: number }).port;
    return `ws://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
