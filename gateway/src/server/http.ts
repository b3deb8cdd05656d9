/** Plain HTTP endpoints beside the WebSocket: liveness, readiness (Pravega reachable), metrics. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayMetrics } from './metrics.js';
import type { ReadinessReport } from './readiness.js';

/**
 * `endpoints` false: this port serves the WebSocket only (the endpoints are on --admin-port), and
 * says so rather than answer a probe that would then be misread.
 */
export function httpHandler(deps: { readiness: () => ReadinessReport; metrics: GatewayMetrics; endpoints: boolean }) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (!deps.endpoints) {
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end('not found: /healthz, /readyz and /metrics are on the admin port\n');
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      return;
    }
    if (path === '/readyz') {
      const report = deps.readiness();
      res.writeHead(report.ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(report));
      return;
    }
    if (path === '/metrics') {
      res
        .writeHead(200, { 'content-type': deps.metrics.registry.contentType })
        .end(await deps.metrics.registry.metrics());
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: this is a Sluice gateway (WebSocket on /)\n');
  };
}
