/**
 * Gateway configuration: command-line flags win over environment variables, which win over
 * defaults (like the Flink connector's PravegaConfig).
 */
import { parseArgs } from 'node:util';
import { parseControllerUri } from '../controller/uri.js';
import { GatewayError } from '../errors.js';
import { parseTrustedProxies } from './client-address.js';

export interface GatewayConfig {
  controller: string;
  scope: string | undefined;
  host: string;
  port: number;
  logLevel: string;
  maxMessageBytes: number;
  maxInflightBytesPerWriter: number;
  /** Unacknowledged bytes all writers of one session together may have at the gateway. */
  maxInflightBytesPerSession: number;
  /** Unacknowledged bytes all sessions together may have at the gateway. */
  maxInflightBytesTotal: number;
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
  /** Accept client tokens that carry no `exp` (they never expire: refused unless this is set). */
  allowTokensWithoutExp: boolean;
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
  /** On SIGTERM: how long in-flight appends and admin calls may take to finish before exiting. */
  drainTimeoutMs: number;
  /** Addresses / CIDR ranges whose X-Forwarded-For is believed (rate limits and logs). */
  trustedProxies: string[];
  /** A separate port for /metrics, /healthz and /readyz (0: served on --port). */
  adminPort: number;
  /** Address the admin port listens on (default: --host). */
  adminHost: string | undefined;
  /** How often /readyz's Pravega probe runs (requests read its last result). */
  readinessIntervalMs: number;
  pravegaUsername: string | undefined;
  pravegaPassword: string | undefined;
  /** PEM CA certificate(s) to trust for a TLS controller URI (default: Node's CA list). */
  pravegaCaFile: string | undefined;
  /** Check that the TLS certificates name the host connected to (as Java's ClientConfig). */
  validateHostname: boolean;
}

const KiB = 1024;
const MiB = 1024 * KiB;
/** Pravega's largest event and its frame: the largest WebSocket message worth accepting. */
const MAX_MESSAGE_CAP = 8 * MiB + 64 * KiB;

/** How a setting's text becomes a value, and the values it may take. */
type Kind =
  | { type: 'text' }
  | { type: 'list' }
  | { type: 'boolean' }
  /** A whole number in [min, max]; 0 too when `zero` says what it means. */
  | { type: 'integer'; min: number; max: number; zero?: string };

interface Setting {
  flag: string;
  env: string;
  default: string | undefined;
  help: string;
  kind: Kind;
}

const text: Kind = { type: 'text' };
const boolean: Kind = { type: 'boolean' };
const integer = (min: number, max: number, zero?: string): Kind =>
  zero === undefined ? { type: 'integer', min, max } : { type: 'integer', min, max, zero };
/** setTimeout's longest delay: a larger one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Every setting, in the order the README's configuration table lists them. */
export const SETTINGS: Record<keyof GatewayConfig, Setting> = {
  controller: {
    flag: 'controller',
    env: 'PRAVEGA_CONTROLLER_URI',
    default: 'tcp://localhost:9090',
    help: 'Pravega controller URI (tcp://, tls://, pravega://, pravegas://)',
    kind: text,
  },
  scope: {
    flag: 'scope',
    env: 'PRAVEGA_SCOPE',
    default: undefined,
    help: 'default scope for stream names without one',
    kind: text,
  },
  host: { flag: 'host', env: 'SLUICE_HOST', default: '127.0.0.1', help: 'address to listen on', kind: text },
  port: {
    flag: 'port',
    env: 'SLUICE_PORT',
    default: '8080',
    help: 'WebSocket and HTTP port (0 = any free port)',
    kind: integer(1, 65_535, 'any free port'),
  },
  logLevel: {
    flag: 'log-level',
    env: 'SLUICE_LOG_LEVEL',
    default: 'info',
    help: 'pino log level (fatal, error, warn, info, debug, trace, silent)',
    kind: text,
  },
  maxMessageBytes: {
    flag: 'max-message-bytes',
    env: 'SLUICE_MAX_MESSAGE_BYTES',
    default: String(MiB),
    help: 'largest WebSocket message accepted (64 KiB .. 8 MiB + 64 KiB)',
    kind: integer(64 * KiB, MAX_MESSAGE_CAP),
  },
  maxInflightBytesPerWriter: {
    flag: 'max-inflight-bytes',
    env: 'SLUICE_MAX_INFLIGHT_BYTES',
    default: String(8 * MiB),
    help: 'unacknowledged bytes one writer may have outstanding',
    // Sent to the SDK as a uint32 (WriterOpened.max_inflight_bytes).
    kind: integer(KiB, 2 ** 32 - 1),
  },
  maxInflightBytesPerSession: {
    flag: 'max-inflight-bytes-per-session',
    env: 'SLUICE_MAX_INFLIGHT_BYTES_PER_SESSION',
    default: String(64 * MiB),
    help: "unacknowledged bytes of all one session's writers together; beyond it the gateway stops reading that socket",
    kind: integer(256 * KiB, Number.MAX_SAFE_INTEGER),
  },
  maxInflightBytesTotal: {
    flag: 'max-inflight-bytes-total',
    env: 'SLUICE_MAX_INFLIGHT_BYTES_TOTAL',
    default: String(256 * MiB),
    help: 'unacknowledged bytes of all writers of all sessions together; beyond it writers are pushed back',
    kind: integer(256 * KiB, Number.MAX_SAFE_INTEGER),
  },
  maxChannelsPerSession: {
    flag: 'max-channels',
    env: 'SLUICE_MAX_CHANNELS',
    default: '256',
    help: 'channels (readers + writers) per WebSocket',
    kind: integer(1, 65_536),
  },
  sendHighWaterBytes: {
    flag: 'send-high-water-bytes',
    env: 'SLUICE_SEND_HIGH_WATER_BYTES',
    default: String(4 * MiB),
    help: 'socket send buffer above which readers pause',
    kind: integer(16 * KiB, 1024 * MiB),
  },
  tailCacheBytes: {
    flag: 'tail-cache-bytes',
    env: 'SLUICE_TAIL_CACHE_BYTES',
    default: String(4 * MiB),
    help: 'recent bytes kept per segment so its readers share one Pravega read (0 = sharing off)',
    kind: integer(4 * KiB, Number.MAX_SAFE_INTEGER, 'sharing off'),
  },
  tailCacheTotalBytes: {
    flag: 'tail-cache-total-bytes',
    env: 'SLUICE_TAIL_CACHE_TOTAL_BYTES',
    default: String(256 * MiB),
    help: 'bound on the shared-tail caches of all segments together',
    kind: integer(4 * KiB, Number.MAX_SAFE_INTEGER),
  },
  controllerTimeoutMs: {
    flag: 'controller-timeout-ms',
    env: 'SLUICE_CONTROLLER_TIMEOUT_MS',
    default: '10000',
    help: 'how long a controller call keeps retrying before "unavailable"',
    kind: integer(100, 3_600_000),
  },
  txnLeaseMs: {
    flag: 'txn-lease-ms',
    env: 'SLUICE_TXN_LEASE_MS',
    default: '120000',
    help: 'transaction lease when the client names none (10 s .. 600 s)',
    kind: integer(10_000, 600_000),
  },
  txnGraceMs: {
    flag: 'txn-grace-ms',
    env: 'SLUICE_TXN_GRACE_MS',
    default: '60000',
    help: 'keep renewing an open transaction this long after its session is gone',
    kind: integer(1, MAX_TIMER_MS, 'stop renewing at once'),
  },
  authSecretFile: {
    flag: 'auth-secret-file',
    env: 'SLUICE_AUTH_SECRET_FILE',
    default: undefined,
    help: 'turn client auth on: HS256 JWTs signed with the secret in this file',
    kind: text,
  },
  authJwksFile: {
    flag: 'auth-jwks-file',
    env: 'SLUICE_AUTH_JWKS_FILE',
    default: undefined,
    help: 'turn client auth on: RS256/ES256 JWTs, keys from this JWKS file',
    kind: text,
  },
  authJwksUrl: {
    flag: 'auth-jwks-url',
    env: 'SLUICE_AUTH_JWKS_URL',
    default: undefined,
    help: 'turn client auth on: RS256/ES256 JWTs, keys from this JWKS URL',
    kind: text,
  },
  authAudience: {
    flag: 'auth-audience',
    env: 'SLUICE_AUTH_AUDIENCE',
    default: 'sluice',
    help: 'the aud a client token must carry',
    kind: text,
  },
  authIssuer: {
    flag: 'auth-issuer',
    env: 'SLUICE_AUTH_ISSUER',
    default: undefined,
    help: 'the iss a client token must carry (unchecked if unset)',
    kind: text,
  },
  allowTokensWithoutExp: {
    flag: 'allow-tokens-without-exp',
    env: 'SLUICE_ALLOW_TOKENS_WITHOUT_EXP',
    default: 'false',
    help: 'accept client tokens with no exp claim (they never expire); refused otherwise',
    kind: boolean,
  },
  allowedOrigins: {
    flag: 'allowed-origin',
    env: 'SLUICE_ALLOWED_ORIGINS',
    default: undefined,
    help: 'an origin allowed to connect, exactly as browsers send it (repeatable; env: comma-separated)',
    kind: { type: 'list' },
  },
  allowMissingOrigin: {
    flag: 'allow-missing-origin',
    env: 'SLUICE_ALLOW_MISSING_ORIGIN',
    default: 'false',
    help: 'with --allowed-origin: also accept clients that send no Origin (non-browser clients)',
    kind: boolean,
  },
  connectionsPerSecondPerIp: {
    flag: 'connections-per-second-per-ip',
    env: 'SLUICE_CONNECTIONS_PER_SECOND_PER_IP',
    default: '50',
    help: 'new WebSocket connections per second per client IP (bursts to 4×; 0 = unlimited)',
    kind: integer(1, 1_000_000, 'unlimited'),
  },
  connectionsPerSecondPerSubject: {
    flag: 'connections-per-second-per-subject',
    env: 'SLUICE_CONNECTIONS_PER_SECOND_PER_SUBJECT',
    default: '20',
    help: 'with client auth: new connections per second per token subject (bursts to 4×; 0 = unlimited)',
    kind: integer(1, 1_000_000, 'unlimited'),
  },
  idleTimeoutMs: {
    flag: 'idle-timeout-ms',
    env: 'SLUICE_IDLE_TIMEOUT_MS',
    default: '300000',
    help: 'close a session after this long without a frame from its client (0 = never)',
    kind: integer(1_000, MAX_TIMER_MS, 'never'),
  },
  slowConsumerMs: {
    flag: 'slow-consumer-ms',
    env: 'SLUICE_SLOW_CONSUMER_MS',
    default: '30000',
    help: 'close a session whose socket stays above --send-high-water-bytes this long without draining that much',
    kind: integer(100, MAX_TIMER_MS),
  },
  drainTimeoutMs: {
    flag: 'drain-timeout-ms',
    env: 'SLUICE_DRAIN_TIMEOUT_MS',
    default: '30000',
    help: 'on SIGTERM: /readyz turns 503, clients are told to go elsewhere once their in-flight appends and calls finish, bounded by this',
    kind: integer(1, MAX_TIMER_MS, 'tell every client at once'),
  },
  trustedProxies: {
    flag: 'trusted-proxies',
    env: 'SLUICE_TRUSTED_PROXIES',
    default: undefined,
    help: 'addresses or CIDR ranges of load balancers whose X-Forwarded-For names the client (rate limits, logs; repeatable or comma-separated)',
    kind: { type: 'list' },
  },
  adminPort: {
    flag: 'admin-port',
    env: 'SLUICE_ADMIN_PORT',
    default: '0',
    help: 'serve /metrics, /healthz and /readyz on this port only, not on --port (0 = on --port)',
    kind: integer(1, 65_535, 'on --port'),
  },
  adminHost: {
    flag: 'admin-host',
    env: 'SLUICE_ADMIN_HOST',
    default: undefined,
    help: 'address the admin port listens on (default: --host)',
    kind: text,
  },
  readinessIntervalMs: {
    flag: 'readiness-interval-ms',
    env: 'SLUICE_READINESS_INTERVAL_MS',
    default: '5000',
    help: "how often /readyz's Pravega probe runs; requests read its last result",
    kind: integer(100, MAX_TIMER_MS),
  },
  pravegaUsername: {
    flag: 'pravega-username',
    env: 'PRAVEGA_USERNAME',
    default: undefined,
    help: 'Basic credentials for Pravega (auth-enabled clusters)',
    kind: text,
  },
  pravegaPassword: {
    flag: 'pravega-password',
    env: 'PRAVEGA_PASSWORD',
    default: undefined,
    help: 'password for --pravega-username',
    kind: text,
  },
  pravegaCaFile: {
    flag: 'pravega-ca-file',
    env: 'PRAVEGA_CA_FILE',
    default: undefined,
    help: 'PEM CA certificate(s) trusted for tls:// controllers and their segment stores',
    kind: text,
  },
  validateHostname: {
    flag: 'validate-hostname',
    env: 'PRAVEGA_VALIDATE_HOSTNAME',
    default: 'true',
    help: "with TLS: require Pravega's certificates to name the host connected to (true/false)",
    kind: boolean,
  },
};

const TRUE_WORDS = ['true', '1'];
const FALSE_WORDS = ['false', '0'];
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Where a value came from, as an error message names it: the flag, and the variable if it was that. */
function source(setting: Setting, fromEnv: boolean): string {
  return fromEnv ? `--${setting.flag} (from $${setting.env})` : `--${setting.flag}`;
}

function invalid(message: string): GatewayError {
  return new GatewayError('invalid-argument', message);
}

function parseBoolean(setting: Setting, raw: string, fromEnv: boolean): boolean {
  const word = raw.trim().toLowerCase();
  if (TRUE_WORDS.includes(word)) return true;
  if (FALSE_WORDS.includes(word)) return false;
  throw invalid(`${source(setting, fromEnv)} must be true or false, got "${raw}"`);
}

function parseInteger(setting: Setting, kind: Kind & { type: 'integer' }, raw: string, fromEnv: boolean): number {
  const where = source(setting, fromEnv);
  const range = `${kind.zero !== undefined ? `0 (${kind.zero}) or ` : ''}${kind.min} .. ${kind.max}`;
  // Digits only: Number() would take "", " ", "1e3", "0x10" and "Infinity".
  if (!/^\d+$/.test(raw.trim())) throw invalid(`${where} must be a whole number (${range}), got "${raw}"`);
  const n = Number(raw.trim());
  if (n === 0 && kind.zero !== undefined) return 0;
  if (!Number.isSafeInteger(n) || n < kind.min || n > kind.max)
    throw invalid(`${where} must be ${range}, got ${raw.trim()}`);
  return n;
}

/**
 * Bare boolean flags (`--allow-missing-origin`) mean true: parseArgs takes every flag with a
 * value, so one with none (last, or followed by another flag) gets "true" here.
 */
function withBareBooleans(argv: string[]): string[] {
  const booleans = new Set(
    Object.values(SETTINGS)
      .filter((s) => s.kind.type === 'boolean')
      .map((s) => `--${s.flag}`),
  );
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    out.push(arg);
    const next = argv[i + 1];
    if (booleans.has(arg) && (next === undefined || next.startsWith('--'))) out.push('true');
  }
  return out;
}

export function loadConfig(argv: string[], env: Record<string, string | undefined> = process.env): GatewayConfig {
  const options = Object.fromEntries(
    Object.values(SETTINGS).map((s) => [
      s.flag,
      { type: 'string' as const, ...(s.kind.type === 'list' ? { multiple: true } : {}) },
    ]),
  );
  let values: Record<string, string | string[] | undefined>;
  try {
    values = parseArgs({ args: withBareBooleans(argv), options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw invalid((err as Error).message);
  }
  const config: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(SETTINGS) as Array<[keyof GatewayConfig, Setting]>) {
    const { kind } = setting;
    if (kind.type === 'list') {
      const flags = values[setting.flag] as string[] | undefined;
      // Each flag may itself be comma-separated, as the variable is.
      config[key] = (flags ?? [env[setting.env] ?? ''])
        .flatMap((v) => v.split(','))
        .map((o) => o.trim())
        .filter(Boolean);
      continue;
    }
    const flag = values[setting.flag] as string | undefined;
    const fromEnv = flag === undefined && env[setting.env] !== undefined;
    const raw = flag ?? env[setting.env] ?? setting.default;
    if (kind.type === 'text') {
      config[key] = raw === '' ? undefined : raw;
    } else if (raw === undefined || raw === '') {
      throw invalid(`${source(setting, fromEnv)} needs a value`);
    } else if (kind.type === 'boolean') {
      config[key] = parseBoolean(setting, raw, fromEnv);
    } else {
      config[key] = parseInteger(setting, kind, raw, fromEnv);
    }
  }
  const result = config as unknown as GatewayConfig;
  checkCombinations(result);
  return result;
}

/** Settings that are each valid but contradict one another, or would be silently ignored. */
function checkCombinations(c: GatewayConfig): void {
  if (!LOG_LEVELS.includes(c.logLevel))
    throw invalid(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${c.logLevel}"`);
  const keySources = [
    c.authSecretFile !== undefined && '--auth-secret-file',
    c.authJwksFile !== undefined && '--auth-jwks-file',
    c.authJwksUrl !== undefined && '--auth-jwks-url',
  ].filter(Boolean);
  if (keySources.length > 1)
    throw invalid(`${keySources.join(' and ')} are both set: give exactly one source of token keys`);
  if (c.authIssuer !== undefined && keySources.length === 0)
    throw invalid('--auth-issuer is set but client auth is off: also set --auth-secret-file or --auth-jwks-file');
  if (c.allowTokensWithoutExp && keySources.length === 0)
    throw invalid(
      '--allow-tokens-without-exp is set but client auth is off: also set --auth-secret-file or --auth-jwks-file',
    );
  if (c.allowMissingOrigin && c.allowedOrigins.length === 0)
    throw invalid('--allow-missing-origin is set without --allowed-origin: with no allow-list every client is let in');
  if (c.pravegaPassword !== undefined && c.pravegaUsername === undefined)
    throw invalid('--pravega-password is set without --pravega-username');
  // One Append frame is charged up to 4× its size (an empty event takes 2 bytes in the frame and
  // 8 in Pravega's framing): whatever frame a client may send must fit an empty session budget.
  if (c.maxInflightBytesPerSession < 4 * c.maxMessageBytes)
    throw invalid(
      `--max-inflight-bytes-per-session (${c.maxInflightBytesPerSession}) must be at least 4 × --max-message-bytes (${4 * c.maxMessageBytes}): one frame's events may take that much`,
    );
  if (c.maxInflightBytesTotal < c.maxInflightBytesPerSession)
    throw invalid(
      `--max-inflight-bytes-total (${c.maxInflightBytesTotal}) must be at least --max-inflight-bytes-per-session (${c.maxInflightBytesPerSession})`,
    );
  if (c.tailCacheBytes > c.tailCacheTotalBytes)
    throw invalid(
      `--tail-cache-bytes (${c.tailCacheBytes}) must be at most --tail-cache-total-bytes (${c.tailCacheTotalBytes})`,
    );
  parseTrustedProxies(c.trustedProxies);
  if (c.adminHost !== undefined && c.adminPort === 0)
    throw invalid('--admin-host is set without --admin-port: the admin endpoints are served on --port');
  if (c.adminPort !== 0 && c.adminPort === c.port)
    throw invalid(
      `--admin-port ${c.adminPort} is --port too: give the admin endpoints a port of their own (or leave --admin-port unset)`,
    );
  // A CA file with a plain-text controller URI would be ignored: the operator meant TLS.
  let tls: boolean;
  try {
    tls = parseControllerUri(c.controller).tls;
  } catch (err) {
    throw invalid(`--controller: ${(err as Error).message}`);
  }
  if (c.pravegaCaFile !== undefined && !tls) {
    throw invalid(
      `--pravega-ca-file is set but --controller ${c.controller} is not TLS: use tls:// (or pravegas://) to connect with TLS`,
    );
  }
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
