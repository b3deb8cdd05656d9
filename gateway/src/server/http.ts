/** Plain HTTP endpoints beside the WebSocket: liveness, readiness (Pravega reachable), metrics. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ControllerClient } from '../controller/controller-client.js';
import type { GatewayMetrics } from './metrics.js';
import type { ReadinessReport } from './readiness.js';

export interface Readiness {
  controller: boolean;
  segmentStore: boolean;
  error?: string;
}

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

/** Controller answers and a segment store accepts a connection with Hello. */
export async function checkReadiness(
  controller: ControllerClient,
  probeSegmentStore: () => Promise<void>,
): Promise<Readiness> {
  try {
    await controller.ping(AbortSignal.timeout(3_000));
  } catch (err) {
    return { controller: false, segmentStore: false, error: (err as Error).message };
  }
  try {
    await probeSegmentStore();
    return { controller: true, segmentStore: true };
  } catch (err) {
    return { controller: true, segmentStore: false, error: (err as Error).message };
  }
}
