/** Types for pravega-lib.mjs (plain JS so that it runs before any install or build). */
export interface PravegaOptions {
  /** Progress lines (no prefix); default console.log. */
  log?: (line: string) => void;
  /** Default 9090. */
  controllerPort?: number;
  /** Default 12345. */
  segmentStorePort?: number;
  /** Default 4000. */
  zkPort?: number;
  /** Written to the standalone's properties file (e.g. `singlenode.security.auth.enable`). */
  extraProps?: Record<string, string>;
  /** Extra JVM flags, after the defaults (so a later -Xmx wins). */
  jvmArgs?: string[];
  /** Names the state files in dataDir (<name>.log, .pid, .json); default 'pravega'. */
  name?: string;
  /** Start-up limit; default 180000. */
  timeoutMs?: number;
  /** Where logs, pid and config files go; default <repo>/.pravega. */
  dataDir?: string;
  /**
   * Auth on: a password file with this user (all permissions), who is also the login of the
   * segment store's own controller client, and any `users` with the ACLs given.
   */
  auth?: {
    username: string;
    password: string;
    /** More users, each with Pravega ACL entries, e.g. `prn::/scope:s,READ_UPDATE;prn::/scope:s/*,READ_UPDATE;`. */
    users?: Array<{ username: string; password: string; acl: string }>;
  };
  /**
   * TLS on for controller, segment store and ZooKeeper. `certFile`: PEM, the server certificate
   * followed by the CA's (the standalone sends it as its chain and trusts it itself); `keyFile`:
   * PKCS#8 PEM; `caFile`: the CA certificate (ZooKeeper's trust store). The controller URI
   * becomes tls://. Needs openssl and keytool.
   */
  tls?: { certFile: string; keyFile: string; caFile: string };
}
export interface RunningPravega {
  controllerUri: string;
  segmentStoreUri: string;
  pid: number;
  logFile: string;
  /** First line of `java -version`. */
  java: string;
  /** SIGTERM, then SIGKILL after 10 s; resolves once the JVM is gone. */
  stop(): Promise<void>;
}
export interface PravegaLease {
  controllerUri: string;
  /** The standalone's log (its output, WARN and ERROR lines). */
  logFile: string;
  /** Stops it if this run started it and no other run still uses it; otherwise nothing. */
  release(): Promise<void>;
  /** Stops it if this run started it, regardless of other runs. */
  stop(): Promise<void>;
}
export interface PravegaStatus {
  ready: boolean;
  controller: boolean;
  segmentStore: boolean;
  state?: { pid: number; java?: string; autoStop: boolean; controllerPort: number };
}
export function javaVersion(): string;
export function standaloneClasspath(log?: (line: string) => void): Promise<string>;
export function portOpen(port: number, host?: string): Promise<boolean>;
export function controllerServing(port: number, timeoutMs?: number, opts?: { tls?: boolean }): Promise<boolean>;
export function pravegaStatus(opts?: PravegaOptions): Promise<PravegaStatus>;
export function startPravega(opts?: PravegaOptions): Promise<RunningPravega>;
export function ensurePravega(opts?: PravegaOptions & { background?: boolean }): Promise<PravegaLease>;
export function stopPravega(opts?: PravegaOptions): Promise<boolean>;
