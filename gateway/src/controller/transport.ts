/**
 * gRPC transports to the controller(s): HTTP/2 via @connectrpc/connect-node, keep-alive pings
 * no more often than every 6 minutes (the server's permitted minimum is 5; more often and it
 * answers GOAWAY too_many_pings), TLS with a CA file, and Basic credentials as Pravega expects.
 */
import { readFileSync } from 'node:fs';
import type { Interceptor, Transport } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import type { ControllerEndpoints } from './uri.js';

export interface TransportOptions {
  credentials?: { username: string; password: string } | undefined;
  tls?: { caFile?: string | undefined; validateHostname?: boolean | undefined } | undefined;
}

const KEEPALIVE_MS = 6 * 60_000;

export function createTransports(target: ControllerEndpoints, opts: TransportOptions): Transport[] {
  const interceptors: Interceptor[] = [];
  if (opts.credentials) {
    const basic = Buffer.from(`${opts.credentials.username}:${opts.credentials.password}`, 'utf8').toString('base64');
    interceptors.push((next) => (req) => {
      req.header.set('authorization', `Basic ${basic}`);
      return next(req);
    });
  }
  const ca = opts.tls?.caFile ? readFileSync(opts.tls.caFile) : undefined;
  return target.endpoints.map(({ host, port }) =>
    createGrpcTransport({
      baseUrl: `${target.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
      interceptors,
      pingIntervalMs: KEEPALIVE_MS,
      pingIdleConnection: false,
      idleConnectionTimeoutMs: 15 * 60_000,
      ...(target.tls
        ? {
            nodeOptions: {
              ...(ca ? { ca } : {}),
              ...(opts.tls?.validateHostname === false ? { checkServerIdentity: () => undefined } : {}),
            },
          }
        : {}),
    }),
  );
}
