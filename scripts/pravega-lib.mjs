// Fetches and runs Pravega standalone 0.13.0 (io.pravega.local.LocalPravegaEmulator) from Maven
// Central jars, on loopback ports, quietly. Used by `pnpm pravega`, `pnpm start`, the tests and
// the benchmarks. Node built-ins only.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const stateDir = join(root, '.pravega');
const pomDir = join(root, 'pravega');

const LOGBACK = `<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>\${sluice.log.file}</file>
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{30} - %msg%n</pattern></encoder>
  </appender>
  <root level="WARN"><appender-ref ref="FILE"/></root>
  <logger name="io.pravega.local" level="INFO"/>
</configuration>
`;

/** One-line explanation instead of a stack trace when a tool is missing. */
function requireTool(cmd, args, hint) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(hint);
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}

export function javaVersion() {
  const out = requireTool(
    'java',
    ['-version'],
    'Java 11+ is needed to run Pravega standalone (java not found on PATH): apt-get install -y openjdk-17-jdk-headless',
  );
  return out.split('\n')[0].trim();
}

/** The standalone's classpath, resolved by Maven once and cached next to a hash of the pom. */
export function standaloneClasspath(log = console.log) {
  const pom = readFileSync(join(pomDir, 'pom.xml'));
  const hash = createHash('sha256').update(pom).digest('hex').slice(0, 16);
  const cache = join(stateDir, `classpath-${hash}.txt`);
  if (existsSync(cache)) {
    const cp = readFileSync(cache, 'utf8').trim();
    if (cp.split(':').every((jar) => existsSync(jar))) return cp;
  }
  requireTool(
    'mvn',
    ['-v'],
    'Maven is needed to fetch Pravega standalone from Maven Central (mvn not found on PATH): apt-get install -y maven',
  );
  mkdirSync(stateDir, { recursive: true });
  log('resolving io.pravega:pravega-standalone:0.13.0 with Maven (the first run downloads ~230 MB into ~/.m2)…');
  const started = Date.now();
  const child = spawnSync('mvn', ['-B', '-ntp', 'dependency:build-classpath', `-Dmdep.outputFile=${cache}`], {
    cwd: pomDir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (child.status !== 0) {
    const tail = `${child.stdout}${child.stderr}`.split('\n').slice(-25).join('\n');
    throw new Error(`Maven could not resolve Pravega standalone:\n${tail}`);
  }
  log(`resolved in ${Math.round((Date.now() - started) / 1000)} s`);
  return readFileSync(cache, 'utf8').trim();
}

/** Hadoop brings an slf4j binding to reload4j that would win over logback and log at INFO to stdout. */
function withoutForeignLogBindings(cp) {
  return cp
    .split(':')
    .filter((jar) => !/slf4j-reload4j|slf4j-log4j12/.test(jar))
    .join(':');
}

function portOpen(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a fresh standalone on the given ports and waits until it is ready.
 * Resolves with { controllerUri, pid, logFile, stop() }.
 */
export async function startPravega({
  log = console.log,
  controllerPort = 9090,
  segmentStorePort = 12345,
  zkPort = 4000,
  extraProps = {},
  jvmArgs = [],
  name = 'pravega',
  timeoutMs = 180_000,
} = {}) {
  log(javaVersion());
  const cp = withoutForeignLogBindings(standaloneClasspath(log));
  mkdirSync(stateDir, { recursive: true });
  const props = join(stateDir, `${name}.properties`);
  writeFileSync(
    props,
    `${Object.entries(extraProps)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
  );
  const logback = join(stateDir, 'logback.xml');
  writeFileSync(logback, LOGBACK);
  const logFile = join(stateDir, `${name}.log`);
  writeFileSync(logFile, '');
  const out = openSync(logFile, 'a');
  const args = [
    '-Xmx2g',
    '-XX:+UseSerialGC',
    `-Dsinglenode.configurationFile=${props}`,
    `-Dsinglenode.zk.port=${zkPort}`,
    `-Dsinglenode.controller.rpc.port=${controllerPort}`,
    `-Dsinglenode.segmentStore.port=${segmentStorePort}`,
    '-Dsinglenode.controller.rest.enable=false',
    '-Dsinglenode.admin.gateway.enable=false',
    '-Dpravegaservice.service.published.host.nameOrIp=127.0.0.1',
    `-Dlogback.configurationFile=${logback}`,
    `-Dsluice.log.file=${logFile}`,
    ...jvmArgs,
    '-cp',
    cp,
    'io.pravega.local.LocalPravegaEmulator',
  ];
  log(`starting Pravega standalone (controller ${controllerPort}, segment store ${segmentStorePort}); log: ${logFile}`);
  const child = spawn('java', args, { cwd: stateDir, stdio: ['ignore', out, out], detached: true });
  child.unref();
  writeFileSync(join(stateDir, `${name}.pid`), String(child.pid));
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const started = Date.now();
  let lastReport = started;
  for (;;) {
    if (exited) throw new Error(`Pravega standalone exited during start-up:\n${tail(logFile)}`);
    const logText = readFileSync(logFile, 'utf8');
    if (
      logText.includes('Pravega Sandbox is running locally now') &&
      (await portOpen(controllerPort)) &&
      (await portOpen(segmentStorePort))
    )
      break;
    if (Date.now() - started > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`Pravega standalone did not become ready in ${timeoutMs / 1000} s:\n${tail(logFile)}`);
    }
    if (Date.now() - lastReport >= 5000) {
      lastReport = Date.now();
      log(`waiting for Pravega… ${Math.round((Date.now() - started) / 1000)} s`);
    }
    await sleep(250);
  }
  log(`Pravega standalone ready in ${Math.round((Date.now() - started) / 1000)} s`);
  const stop = async () => {
    if (exited) return;
    const gone = new Promise((r) => child.once('exit', r));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      child.kill('SIGTERM');
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }, 10_000);
    await gone;
    clearTimeout(timer);
  };
  return { controllerUri: `tcp://127.0.0.1:${controllerPort}`, pid: child.pid, logFile, stop };
}

function tail(file, lines = 20) {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * A standalone for this run: one already listening on the ports is reused (release() leaves
 * it running), otherwise one is started (release() stops it).
 */
export async function ensurePravega(opts = {}) {
  const { log = console.log, controllerPort = 9090, segmentStorePort = 12345 } = opts;
  if ((await portOpen(controllerPort)) && (await portOpen(segmentStorePort))) {
    log(`reusing the Pravega standalone already on ports ${controllerPort}/${segmentStorePort}`);
    const controllerUri = `tcp://127.0.0.1:${controllerPort}`;
    return { controllerUri, release: async () => {}, stop: async () => {} };
  }
  const started = await startPravega(opts);
  return { controllerUri: started.controllerUri, release: started.stop, stop: started.stop };
}

/** Stops a standalone started in the background by `pravega.mjs start`. */
export function stopBackground(name = 'pravega') {
  const pidFile = join(stateDir, `${name}.pid`);
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  try {
    process.kill(-pid, 'SIGTERM');
    return true;
  } catch {
    try {
      process.kill(pid, 'SIGTERM');
      return true;
    } catch {
      return false;
    }
  }
}
