/** Types for pravega-lib.mjs (plain JS so that it runs before any install or build). */
export interface PravegaOptions {
  log?: (line: string) => void;
  controllerPort?: number;
  segmentStorePort?: number;
  zkPort?: number;
  extraProps?: Record<string, string>;
  jvmArgs?: string[];
  name?: string;
  timeoutMs?: number;
}
export interface RunningPravega {
  controllerUri: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}
export function javaVersion(): string;
export function standaloneClasspath(log?: (line: string) => void): string;
export function startPravega(opts?: PravegaOptions): Promise<RunningPravega>;
export function ensurePravega(
  opts?: PravegaOptions,
): Promise<{ controllerUri: string; release(): Promise<void>; stop(): Promise<void> }>;
export function stopBackground(name?: string): boolean;
