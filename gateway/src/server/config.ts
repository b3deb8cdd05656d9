/**
 * Gateway configuration: command-line flags win over environment variables, which win over
 * defaults (like the Flink connector's PravegaConfig).
 */
import { parseArgs } from 'node:util';
import { parseControllerUri } from '../controller/uri.js';
import { GatewayError } from '../errors.js';

export interface GatewayConfig {
  controller: string;
  scope: string | undefined;
  host: string;
  port: number;
  logLevel: string;
  maxMessageBytes: number;
  maxInflightBytesPerWriter: number;
  maxChannelsPerSession: number;
  sendHighWaterBytes: number;
  /** Ring of recent events per segment for shared tail reads (0: every reader reads on its own). */
  tailCacheBytes: number;
  /** All shared-tail rings together stay within about this many bytes. */
  tailCacheTotalBytes: number;
  controllerTimeoutMs: number;
  txnLeaseMs: number;
  txnGraceMs: number;
  authSecretFile: string | undefined;
  authJwksFile: string | undefined;
  authJwksUrl: string | undefined;
  authAudience: string;
  authIssuer: string | undefined;
  /** Exact origins allowed to open a WebSocket (empty: no origin check). */
  allowedOrigins: string[];
  /** With an allow-list: let clients that send no Origin (servers, not browsers) in. */
  allowMissingOrigin: boolean;
  /** New connections per second per client IP (0: unlimited); bursts up to 4× that. */
  connectionsPerSecondPerIp: number;
  /** New connections per second per token subject (0: unlimited); bursts up to 4× that. */
  connectionsPerSecondPerSubject: number;
  /** Close a session after this long without a frame from the client (0: never). */
  idleTimeoutMs: number;
  /** Close a session whose socket stays over the send high-water mark this long. */
  slowConsumerMs: number;
  pravegaUsername: string | undefined;
  pravegaPassword: string | undefined;
  /** PEM CA certificate(s) to trust for a TLS controller URI (default: Node's CA list). */
  pravegaCaFile: string | undefined;
  /** Check that the TLS certificates name the host connected to (as Java's ClientConfig). */
  validateHostname: boolean;
}

interface Setting {
  flag: string;
  env: string;
  default: string | undefined;
  help: string;
}

/** Every setting, in the order the README's configuration table lists them. */
export const SETTINGS: Record<keyof GatewayConfig, Setting> = {
  controller: {
    flag: 'controller',
    env: 'PRAVEGA_CONTROLLER_URI',
    default: 'tcp://localhost:9090',
    help: 'Pravega controller URI (tcp://, tls://, pravega://, pravegas://)',
  },
  scope: {
    flag: 'scope',
    env: 'PRAVEGA_SCOPE',
    default: undefined,
    help: 'default scope for stream names without one',
  },
  host: { flag: 'host', env: 'SLUICE_HOST', default: '127.0.0.1', help: 'address to listen on' },
  port: { flag: 'port', env: 'SLUICE_PORT', default: '8080', help: 'WebSocket and HTTP port (0 = any free port)' },
  logLevel: { flag: 'log-level', env: 'SLUICE_LOG_LEVEL', default: 'info', help: 'pino log level' },
  maxMessageBytes: {
    flag: 'max-message-bytes',
    env: 'SLUICE_MAX_MESSAGE_BYTES',
    default: String(1024 * 1024),
    help: 'largest WebSocket message accepted (max 8 MiB + 64 KiB)',
  },
  maxInflightBytesPerWriter: {
    flag: 'max-inflight-bytes',
    env: 'SLUICE_MAX_INFLIGHT_BYTES',
    default: String(8 * 1024 * 1024),
    help: 'unacknowledged bytes one writer may have outstanding',
  },
  maxChannelsPerSession: {
    flag: 'max-channels',
    env: 'SLUICE_MAX_CHANNELS',
    default: '256',
    help: 'channels (readers + writers) per WebSocket',
  },
  sendHighWaterBytes: {
    flag: 'send-high-water-bytes',
    env: 'SLUICE_SEND_HIGH_WATER_BYTES',
    default: String(4 * 1024 * 1024),
    help: 'socket send buffer above which readers pause',
  },
  tailCacheBytes: {
    flag: 'tail-cache-bytes',
    env: 'SLUICE_TAIL_CACHE_BYTES',
    default: String(4 * 1024 * 1024),
    help: 'recent bytes kept per segment so its readers share one Pravega read (0 = sharing off)',
  },
  tailCacheTotalBytes: {
    flag: 'tail-cache-total-bytes',
    env: 'SLUICE_TAIL_CACHE_TOTAL_BYTES',
    default: String(256 * 1024 * 1024),
    help: 'bound on the shared-tail caches of all segments together',
  },
  controllerTimeoutMs: {
    flag: 'controller-timeout-ms',
    env: 'SLUICE_CONTROLLER_TIMEOUT_MS',
    default: '10000',
    help: 'how long a controller call keeps retrying before "unavailable"',
  },
  txnLeaseMs: {
    flag: 'txn-lease-ms',
    env: 'SLUICE_TXN_LEASE_MS',
    default: '120000',
    help: 'transaction lease when the client names none (10 s .. 600 s)',
  },
  txnGraceMs: {
    flag: 'txn-grace-ms',
    env: 'SLUICE_TXN_GRACE_MS',
    default: '60000',
    help: 'keep renewing an open transaction this long after its session is gone',
  },
  authSecretFile: {
    flag: 'auth-secret-file',
    env: 'SLUICE_AUTH_SECRET_FILE',
    default: undefined,
    help: 'turn client auth on: HS256 JWTs signed with the secret in this file',
  },
  authJwksFile: {
    flag: 'auth-jwks-file',
    env: 'SLUICE_AUTH_JWKS_FILE',
    default: undefined,
    help: 'turn client auth on: RS256/ES256 JWTs, keys from this JWKS file',
  },
  authJwksUrl: {
    flag: 'auth-jwks-url',
    env: 'SLUICE_AUTH_JWKS_URL',
    default: undefined,
    help: 'turn client auth on: RS256/ES256 JWTs, keys from this JWKS URL',
  },
  authAudience: {
    flag: 'auth-audience',
    env: 'SLUICE_AUTH_AUDIENCE',
    default: 'sluice',
    help: 'the aud a client token must carry',
  },
  authIssuer: {
    flag: 'auth-issuer',
    env: 'SLUICE_AUTH_ISSUER',
    default: undefined,
    help: 'the iss a client token must carry (unchecked if unset)',
  },
  allowedOrigins: {
    flag: 'allowed-origin',
    env: 'SLUICE_ALLOWED_ORIGINS',
    default: undefined,
    help: 'an origin allowed to connect, exactly as browsers send it (repeatable; env: comma-separated)',
  },
  allowMissingOrigin: {
    flag: 'allow-missing-origin',
    env: 'SLUICE_ALLOW_MISSING_ORIGIN',
    default: 'false',
    help: 'with --allowed-origin: also accept clients that send no Origin (non-browser clients)',
  },
  connectionsPerSecondPerIp: {
    flag: 'connections-per-second-per-ip',
    env: 'SLUICE_CONNECTIONS_PER_SECOND_PER_IP',
    default: '50',
    help: 'new WebSocket connections per second per client IP (bursts to 4×; 0 = unlimited)',
  },
  connectionsPerSecondPerSubject: {
    flag: 'connections-per-second-per-subject',
    env: 'SLUICE_CONNECTIONS_PER_SECOND_PER_SUBJECT',
    default: '20',
    help: 'with client auth: new connections per second per token subject (bursts to 4×; 0 = unlimited)',
  },
  idleTimeoutMs: {
    flag: 'idle-timeout-ms',
    env: 'SLUICE_IDLE_TIMEOUT_MS',
    default: '300000',
    help: 'close a session after this long without a frame from its client (0 = never)',
  },
  slowConsumerMs: {
    flag: 'slow-consumer-ms',
    env: 'SLUICE_SLOW_CONSUMER_MS',
    default: '30000',
    help: 'close a session whose socket stays above --send-high-water-bytes this long without draining that much',
  },
  pravegaUsername: {
    flag: 'pravega-username',
    env: 'PRAVEGA_USERNAME',
    default: undefined,
    help: 'Basic credentials for Pravega (auth-enabled clusters)',
  },
  pravegaPassword: {
    flag: 'pravega-password',
    env: 'PRAVEGA_PASSWORD',
    default: undefined,
    help: 'password for --pravega-username',
  },
  pravegaCaFile: {
    flag: 'pravega-ca-file',
    env: 'PRAVEGA_CA_FILE',
    default: undefined,
    help: 'PEM CA certificate(s) trusted for tls:// controllers and their segment stores',
  },
  validateHostname: {
    flag: 'validate-hostname',
    env: 'PRAVEGA_VALIDATE_HOSTNAME',
    default: 'true',
    help: "with TLS: require Pravega's certificates to name the host connected to (true/false)",
  },
};

const NUMERIC: ReadonlySet<keyof GatewayConfig> = new Set([
  'port',
  'maxMessageBytes',
  'maxInflightBytesPerWriter',
  'maxChannelsPerSession',
  'sendHighWaterBytes',
  'tailCacheBytes',
  'tailCacheTotalBytes',
  'controllerTimeoutMs',
  'txnLeaseMs',
  'txnGraceMs',
  'connectionsPerSecondPerIp',
  'connectionsPerSecondPerSubject',
  'idleTimeoutMs',
  'slowConsumerMs',
]);

export function loadConfig(argv: string[], env: Record<string, string | undefined> = process.env): GatewayConfig {
  const options = Object.fromEntries(
    Object.values(SETTINGS).map((s) => [
      s.flag,
      { type: 'string' as const, ...(s.flag === 'allowed-origin' ? { multiple: true } : {}) },
    ]),
  );
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Record<
      string,
      string | undefined
    >;
  } catch (err) {
    throw new GatewayError('invalid-argument', (err as Error).message);
  }
  const config: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(SETTINGS) as Array<[keyof GatewayConfig, Setting]>) {
    if (key === 'allowedOrigins') {
      const flags = values[setting.flag] as unknown as string[] | undefined;
      config[key] =
        flags ??
        (env[setting.env] ?? '')
          .split(',')
          .map((o) => o.trim())
          .filter(Boolean);
      continue;
    }
    const raw = values[setting.flag] ?? env[setting.env] ?? setting.default;
    if (key === 'allowMissingOrigin') {
      config[key] = raw === 'true' || raw === '1';
      continue;
    }
    if (key === 'validateHostname') {
      if (!['true', 'false', '1', '0'].includes(raw ?? ''))
        throw new GatewayError('invalid-argument', `--${setting.flag} must be true or false, got "${raw}"`);
      config[key] = raw === 'true' || raw === '1';
      continue;
    }
    if (NUMERIC.has(key)) {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 0)
        throw new GatewayError('invalid-argument', `--${setting.flag} must be a whole number, got "${raw}"`);
      config[key] = n;
    } else {
      config[key] = raw === '' ? undefined : raw;
    }
  }
  const result = config as unknown as GatewayConfig;
  if (result.maxMessageBytes > 8 * 1024 * 1024 + 64 * 1024) {
    throw new GatewayError(
      'invalid-argument',
      `--max-message-bytes may be at most 8 MiB + 64 KiB (${8 * 1024 * 1024 + 64 * 1024}: Pravega's largest event and its frame), got ${result.maxMessageBytes}`,
    );
  }
  // A CA file with a plain-text controller URI would be ignored: the operator meant TLS.
  if (result.pravegaCaFile !== undefined && !parseControllerUri(result.controller).tls) {
    throw new GatewayError(
      'invalid-argument',
      `--pravega-ca-file is set but --controller ${result.controller} is not TLS: use tls:// (or pravegas://) to connect with TLS`,
    );
  }
  return result;
}

export function usage(): string {
  const lines = ['Usage: sluice-gateway [options]', ''];
  for (const s of Object.values(SETTINGS)) {
    lines.push(
      `  --${s.flag.padEnd(24)} ${s.help} [$${s.env}${s.default !== undefined ? `, default ${s.default}` : ''}]`,
    );
  }
  return lines.join('\n');
}
