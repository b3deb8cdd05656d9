/**
 * Assembles a gateway: Pravega clients, the writer registry, the WebSocket endpoint and the
 * HTTP endpoints on one port. `startGateway` is what the CLI and the tests call.
 */

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import pino, { type Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { originAllowed } from '../auth/origins.js';
import { RateLimiter } from '../auth/rate-limit.js';
import { checkUpstream } from '../auth/upstream.js';
import { createVerifier, type Principal, tokenOf } from '../auth/verifier.js';
import { ControllerClient } from '../controller/controller-client.js';
import { parseControllerUri } from '../controller/uri.js';
import { GatewayError } from '../errors.js';
import { GroupTable } from '../groups/group-table.js';
import { LeasedBuffers } from '../leased-buffers.js';
import { SegmentStoreClient } from '../segmentstore/client.js';
import { SegmentStoreConnection } from '../segmentstore/connection.js';
import type { GatewayContext } from '../sessions/context.js';
import { FramePool } from '../sessions/frame-pool.js';
import { InflightBudget } from '../sessions/inflight-budget.js';
import { refuseUnauthenticated, Session, sayGoingAway } from '../sessions/session.js';
import { SharedTails } from '../streams/shared-tails.js';
import { WriterRegistry } from '../streams/writer-registry.js';
import { GATEWAY_VERSION } from '../version.js';
import { clientAddress, parseTrustedProxies } from './client-address.js';
import type { GatewayConfig } from './config.js';
import { httpHandler } from './http.js';
import { createMetrics, outageObserver, pushBackObserver, watchInflight } from './metrics.js';
import { checkReadiness, ReadinessProbe } from './readiness.js';

export { GATEWAY_VERSION };

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
const SUBPROTOCOL = 'sluice.v1';

export interface RunningGateway {
  readonly port: number;
  /** The admin port (/metrics, /healthz, /readyz) when --admin-port is set. */
  readonly adminPort: number | undefined;
  readonly url: string;
  /** @internal The sessions' shared state (tests look inside). */
  readonly context: GatewayContext;
  /**
   * Graceful drain (what SIGTERM does): /readyz turns 503 and new connections are refused at
   * once; every session finishes what it has in flight and is then told GoingAway (the SDK
   * reconnects elsewhere); at `timeoutMs` the rest are told regardless. Resolves when every
   * client was told and the writers hold nothing unacknowledged (or the time is up). Call
   * `close()` after it.
   */
  drain(timeoutMs?: number): Promise<DrainReport>;
  close(): Promise<void>;
}

export interface DrainReport {
  /** Sessions open when the drain began. */
  readonly sessions: number;
  /** Of those, told to go with work still in flight when the timeout passed. */
  readonly forced: number;
  /** Bytes the writers still held unacknowledged at the end (0 unless the timeout passed). */
  readonly unackedBytes: number;
  readonly ms: number;
}

/** Fields that never reach the logs, on the gateway's own logger and on one a caller passes in. */
const REDACT = {
  paths: [
    'token',
    '*.token',
    '*.*.token',
    'authorization',
    '*.authorization',
    'password',
    '*.password',
    '*.*.password',
    'secret',
    '*.secret',
    'headers.authorization',
    'headers["sec-websocket-protocol"]',
    '*.headers.authorization',
    '*.headers["sec-websocket-protocol"]',
  ],
  censor: '[redacted]',
};

export async function startGateway(config: GatewayConfig, logger?: Logger): Promise<RunningGateway> {
  // Tokens and passwords never reach the logs, whatever a caller passes in (a child logger
  // carries the redaction even when the caller's logger has none).
  const log = logger
    ? logger.child({}, { redact: REDACT })
    : pino({ level: config.logLevel, base: { svc: 'sluice-gateway' }, redact: REDACT });
  const verifyToken = createVerifier({
    secretFile: config.authSecretFile,
    jwksFile: config.authJwksFile,
    jwksUrl: config.authJwksUrl,
    audience: config.authAudience,
    issuer: config.authIssuer,
    allowTokensWithoutExp: config.allowTokensWithoutExp,
  });
  if (!verifyToken) {
    log.warn(
      'client authentication is OFF: anyone who reaches this port may read and write every stream (set --auth-secret-file or --auth-jwks-file)',
    );
  }
  const allowedOrigins = new Set(config.allowedOrigins);
  const perIp = new RateLimiter(config.connectionsPerSecondPerIp, config.connectionsPerSecondPerIp * 4);
  // One leaked token cannot open connections faster than this from however many addresses.
  const perSubject = new RateLimiter(config.connectionsPerSecondPerSubject, config.connectionsPerSecondPerSubject * 4);
  // As Java's client: a tls:// controller URI means TLS to the segment stores too.
  const useTls = parseControllerUri(config.controller).tls;
  let ca: Buffer | undefined;
  try {
    ca = config.pravegaCaFile ? readFileSync(config.pravegaCaFile) : undefined;
  } catch (err) {
    throw new GatewayError('invalid-argument', `--pravega-ca-file: ${(err as Error).message}`, { cause: err });
  }
  const segmentStoreTls = useTls ? { ...(ca ? { ca } : {}), validateHostname: config.validateHostname } : undefined;
  const controller = new ControllerClient({
    uri: config.controller,
    callTimeoutMs: 5_000,
    retryBudgetMs: config.controllerTimeoutMs,
    logger: log,
    ...(config.pravegaUsername
      ? { credentials: { username: config.pravegaUsername, password: config.pravegaPassword ?? '' } }
      : {}),
    tls: {
      ...(config.pravegaCaFile ? { caFile: config.pravegaCaFile } : {}),
      validateHostname: config.validateHostname,
    },
  });
  const metrics = createMetrics(GATEWAY_VERSION);
  const segments = new SegmentStoreClient({
    controller,
    logger: log,
    tls: segmentStoreTls,
    outages: outageObserver(metrics),
    onErrorReply: (reply) => metrics.service.pravegaErrors.inc({ reply }),
  });
  const inflight = new InflightBudget(
    config.maxInflightBytesTotal,
    config.maxInflightBytesPerSession,
    pushBackObserver(metrics),
  );
  watchInflight(metrics, inflight.total);
  const context: GatewayContext = {
    controller,
    segments,
    writers: new WriterRegistry(controller, segments, log, inflight.total, {
      acknowledged(events, newestWaitedMs) {
        metrics.eventsWritten.inc(events);
        metrics.service.appendAckSeconds.observe(newestWaitedMs / 1000);
      },
    }),
    inflight,
    groups: new GroupTable(segments),
    tails: new SharedTails(
      segments,
      { segmentBytes: config.tailCacheBytes, totalBytes: config.tailCacheTotalBytes },
      {
        readBytes: (role, bytes) => metrics.pravegaReadBytes.inc({ role }, bytes),
        servedFromRing: (events) => metrics.tailRingEvents.inc(events),
        subscribers: (mode, delta) => metrics.tailSubscribers.inc({ mode }, delta),
        fellBehind: () => metrics.tailFellBehind.inc(),
        cacheBytes: (delta) => metrics.tailCacheBytes.inc(delta),
      },
    ),
    // 384 KiB: a 256 KiB batch of events up to 128 KiB each, with its framing.
    framePool: new FramePool(384 * 1024, 32),
    // The SDK's Append frames are at most 1 MiB: messages of 512 KiB–1 MiB are pooled, 16 MiB idle at most.
    messageBuffers: new LeasedBuffers(Math.min(config.maxMessageBytes, 1024 * 1024), 16),
    logger: log,
    metrics,
    defaultScope: config.scope,
    version: GATEWAY_VERSION,
    verifyToken,
    limits: {
      maxMessageBytes: config.maxMessageBytes,
      maxInflightBytesPerWriter: config.maxInflightBytesPerWriter,
      maxChannelsPerSession: config.maxChannelsPerSession,
      sendHighWaterBytes: config.sendHighWaterBytes,
      txnLeaseMs: config.txnLeaseMs,
      txnGraceMs: config.txnGraceMs,
      idleTimeoutMs: config.idleTimeoutMs,
      slowConsumerMs: config.slowConsumerMs,
    },
  };

  const probeSegmentStore = async () => {
    // Any segment store will do: resolve the one that owns the system scope's first segment.
    const endpoint = await controller.getEndpoint('_system', '_requeststream', 0n);
    const conn = new SegmentStoreConnection({
      host: endpoint.host,
      port: endpoint.port,
      tls: segmentStoreTls,
      logger: log,
      connectTimeoutMs: 3_000,
    });
    try {
      await conn.whenReady();
    } finally {
      conn.close();
    }
  };

  await checkUpstream({
    controller,
    probeSegmentStore,
    hasCredentials: config.pravegaUsername !== undefined,
    tls: useTls,
    logger: log,
  });

  // /readyz answers from the last probe: a load balancer's checks never reach Pravega themselves.
  const readiness = new ReadinessProbe(
    () => checkReadiness(controller, probeSegmentStore, segments),
    config.readinessIntervalMs,
  );
  await readiness.start();
  const trustedProxies = parseTrustedProxies(config.trustedProxies);
  const endpoints = { readiness: () => readiness.report, metrics };
  const server: Server = createServer(httpHandler({ ...endpoints, endpoints: config.adminPort === 0 }));
  const adminServer = config.adminPort !== 0 ? createServer(httpHandler({ ...endpoints, endpoints: true })) : undefined;
  const sessions = new Set<Session>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.maxMessageBytes,
    // Compression off: a small compressed frame must not inflate into a large message.
    perMessageDeflate: false,
    // A message in thousands of tiny fragments is closed with 1008 instead of buffered (ws'
    // default, stated here; ws also terminates a peer with 60 pongs pending: pings it never reads).
    maxFragments: 16 * 1024,
    handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  // Origin is checked before the upgrade: a refused client never gets a WebSocket. So is the
  // token, but a refused one is told so after the upgrade (close 4001 and why, before any frame
  // is read): a browser cannot see an HTTP status, and would take a 401 for a gateway that is down.
  server.on('upgrade', (req, socket, head) => {
    void (async () => {
      // Draining: this gateway takes no new session; the client (or the balancer) tries another.
      if (readiness.draining) {
        refuse(socket, 503, 'Service Unavailable');
        return;
      }
      const ip = clientAddress(req, trustedProxies);
      if (!perIp.take(ip)) {
        refuse(socket, 429, 'Too Many Requests');
        return;
      }
      const origin = req.headers.origin;
      if (!originAllowed(origin, allowedOrigins, config.allowMissingOrigin)) {
        log.info({ origin: origin ?? '(none)', client: ip }, 'refused a connection from a disallowed origin');
        refuse(socket, 403, 'Forbidden');
        return;
      }
      let principal: Principal | undefined;
      if (verifyToken) {
        const token = tokenOf(req.headers);
        try {
          if (!token)
            throw new GatewayError(
              'unauthenticated',
              'no token: offer it as Sec-WebSocket-Protocol bearer.<base64url> or Authorization: Bearer',
            );
          principal = await verifyToken(token);
        } catch (err) {
          const reason = GatewayError.from(err).message;
          log.info({ reason, client: ip }, 'refused an unauthenticated connection');
          wss.handleUpgrade(req, socket, head, (ws) => refuseUnauthenticated(ws, reason));
          return;
        }
        if (!perSubject.take(principal.subject)) {
          log.info({ subject: principal.subject }, 'refused a connection: subject over its connection rate');
          refuse(socket, 429, 'Too Many Requests');
          return;
        }
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        wss.emit('connection', ws, req);
        // The drain began while the token was checked: too late to refuse, in time to redirect.
        if (readiness.draining) {
          sayGoingAway(ws, 'gateway draining');
          return;
        }
        const session = new Session(ws, context, principal, ip, socket);
        sessions.add(session);
        ws.once('close', () => sessions.delete(session));
      });
    })();
  });

  // Dead peers: a WebSocket ping every 30 s; no pong by the next one and the socket is dropped.
  const alive = new WeakSet<object>();
  wss.on('connection', (ws) => {
    alive.add(ws);
    ws.on('pong', () => alive.add(ws));
  });
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      // A pushed-back socket is not read, so its pongs wait unread: its silence proves nothing.
      if (ws.isPaused) {
        alive.add(ws);
        continue;
      }
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, 30_000);
  heartbeat.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  if (adminServer) {
    await new Promise<void>((resolve, reject) => {
      adminServer.once('error', reject);
      adminServer.listen(config.adminPort, config.adminHost ?? config.host, () => resolve());
    });
  }
  const adminPort = adminServer ? (adminServer.address() as AddressInfo).port : undefined;
  const url = `ws://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  log.info({ url, adminPort, controller: config.controller, scope: config.scope }, 'sluice gateway listening');

  let draining: Promise<DrainReport> | undefined;
  const drain = async (timeoutMs: number): Promise<DrainReport> => {
    const started = performance.now();
    readiness.setDraining();
    const open = [...sessions];
    log.info(
      { sessions: open.length, timeoutMs },
      'draining: no new sessions; clients go elsewhere once their work is done',
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.all(open.map((s) => s.drain())), timeout]);
    let forced = 0;
    for (const session of sessions) {
      if (session.isClosed) continue;
      forced++;
      session.goAwayNow('gateway shutting down (drain timeout)');
    }
    // Writers whose clients left before the drain may still wait for Pravega's acknowledgements.
    const deadline = started + timeoutMs;
    while (context.writers.unackedBytes > 0 && performance.now() < deadline) await sleep(10);
    clearTimeout(timer);
    const report = {
      sessions: open.length,
      forced,
      unackedBytes: context.writers.unackedBytes,
      ms: Math.round(performance.now() - started),
    };
    metrics.service.drainSeconds.observe(report.ms / 1000);
    metrics.service.drainForcedSessions.inc(forced);
    log.info(report, 'drained');
    return report;
  };

  return {
    port,
    adminPort,
    url,
    context,
    drain(timeoutMs = config.drainTimeoutMs) {
      draining ??= drain(timeoutMs);
      return draining;
    },
    async close() {
      clearInterval(heartbeat);
      readiness.stop();
      for (const ws of wss.clients) sayGoingAway(ws, 'gateway shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (adminServer) await new Promise<void>((resolve) => adminServer.close(() => resolve()));
      context.writers.close();
      segments.close();
      await controller.close();
    },
  };
}
