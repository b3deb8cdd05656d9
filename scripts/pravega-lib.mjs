// Fetches and runs Pravega standalone 0.13.0 (io.pravega.local.LocalPravegaEmulator) from Maven
// Central jars, on loopback ports, quietly. Used by `pnpm pravega`, `pnpm start`, the tests and
// the benchmarks. Plain ESM with Node built-ins only, so that it runs before any install or build.
//
// State lives in .pravega/ (or `dataDir`): classpath.txt (Maven's answer, keyed by a hash of
// pravega/pom.xml), and per instance `name`: <name>.log, <name>.pid, <name>.json (who started it,
// ports, JDK), <name>.leases/ (runs that reuse an auto-started instance) and <name>.lock.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, pbkdf2Sync, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect as connectHttp2 } from 'node:http2';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const defaultDataDir = join(root, '.pravega');
const pomDir = join(root, 'pravega');
const ARTIFACT = 'io.pravega:pravega-standalone:0.13.0';
const READY_LINE = 'Pravega Sandbox is running locally now';
const JAVA_HINT = 'apt-get install -y openjdk-17-jre-headless';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// WARN and ERROR to the log file only. io.pravega.local stays at INFO for its readiness line.
const LOGBACK = `<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>\${sluice.log.file}</file>
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{30} - %msg%n</pattern></encoder>
  </appender>
  <root level="WARN"><appender-ref ref="FILE"/></root>
  <logger name="io.pravega.local" level="INFO"/>
</configuration>
`;

/** An error whose stack is its message: callers print one line, not a Node stack trace. */
export function setupError(message) {
  const err = new Error(message);
  err.stack = message;
  return err;
}

function withDefaults(opts) {
  return {
    log: console.log,
    controllerPort: 9090,
    segmentStorePort: 12345,
    zkPort: 4000,
    extraProps: {},
    jvmArgs: [],
    name: 'pravega',
    timeoutMs: 180_000,
    dataDir: defaultDataDir,
    ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)),
  };
}

/** First line of `java -version`; a one-line error when Java is missing or older than 11. */
export function javaVersion() {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (r.error) throw setupError(`Java 11+ is needed to run Pravega standalone (java not found on PATH): ${JAVA_HINT}`);
  const first = `${r.stderr ?? ''}${r.stdout ?? ''}`.split('\n')[0].trim();
  const m = /version "(\d+)(?:\.(\d+))?/.exec(first);
  const major = m ? (m[1] === '1' ? Number(m[2]) : Number(m[1])) : 0;
  if (r.status !== 0 || major < 11)
    throw setupError(`Java 11+ is needed to run Pravega standalone (found: ${first || 'no version'}): ${JAVA_HINT}`);
  return first;
}

export function readText(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** True while `pid` runs (a zombie counts as gone). */
export function alive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return err.code === 'EPERM';
  }
  const stat = readText(`/proc/${pid}/stat`);
  return stat === undefined || stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

/** Guards against a recycled pid: on Linux, only a LocalPravegaEmulator JVM may be signalled. */
function isPravegaProcess(pid) {
  if (!alive(pid)) return false;
  const cmdline = readText(`/proc/${pid}/cmdline`);
  return cmdline === undefined || cmdline.includes('LocalPravegaEmulator');
}

/** SIGTERM to the JVM's process group, SIGKILL after `graceMs`; resolves once it is gone. */
export async function terminate(pid, graceMs = 10_000) {
  const signal = (sig) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {}
    }
  };
  if (!alive(pid)) return;
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await sleep(100);
  if (!alive(pid)) return;
  signal('SIGKILL');
  while (alive(pid)) await sleep(50);
}

/**
 * Runs `fn` holding a lock file, so that concurrent runs (several engineers' test runs on one
 * machine) neither resolve with Maven nor start a standalone on the same ports twice.
 * `whileWaiting()` may end the wait early with a value (e.g. "someone else started it").
 */
export async function withLock(file, log, what, fn, whileWaiting = async () => undefined) {
  const started = Date.now();
  let reported = started;
  for (;;) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const holder = Number(readText(file));
      if (!alive(holder)) {
        rmSync(file, { force: true });
        continue;
      }
      const early = await whileWaiting();
      if (early !== undefined) return early;
      if (Date.now() - reported >= 5000) {
        reported = Date.now();
        log(`waiting for process ${holder}, which is ${what}… ${Math.round((Date.now() - started) / 1000)} s`);
      }
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    if (readText(file) === String(process.pid)) rmSync(file, { force: true });
  }
}

/** Runs Maven, showing progress: a count of downloads every 5 s, warnings and errors as they come. */
export function runMaven(args, cwd, log, artifact = ARTIFACT) {
  return new Promise((resolve, reject) => {
    const child = spawn('mvn', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const started = Date.now();
    let files = 0;
    let bytes = 0;
    let latest = '';
    const last = [];
    let partial = '';
    const units = { B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9 };
    const onData = (chunk) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const raw of lines) {
        const line = raw.trimEnd();
        last.push(line);
        if (last.length > 30) last.shift();
        const done = /^(?:\[INFO\] )?Downloaded from [^:]+: \S*\/([^/\s]+) \(([\d.]+) (B|kB|KB|MB|GB)/.exec(line);
        if (done) {
          files++;
          latest = done[1];
          bytes += Number(done[2]) * (units[done[3]] ?? 1);
        } else if (/^\[(WARNING|ERROR)\]/.test(line) && !/^\[(WARNING|ERROR)\]\s*$/.test(line)) {
          log(`maven: ${line}`);
        }
      }
    };
    // On a timer, not per line: one big jar can keep Maven quiet for a while.
    const progress = setInterval(() => {
      const mb = (bytes / 1e6).toFixed(1);
      const what = latest ? `, last ${latest}` : '';
      log(`maven: ${files} files downloaded (${mb} MB${what}), ${Math.round((Date.now() - started) / 1000)} s`);
    }, 5000);
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    child.once('error', (err) => {
      clearInterval(progress);
      reject(
        err.code === 'ENOENT'
          ? setupError(
              'Maven is needed to fetch Pravega standalone from Maven Central (mvn not found on PATH): apt-get install -y maven',
            )
          : err,
      );
    });
    child.once('close', (code) => {
      clearInterval(progress);
      if (code === 0) resolve({ files, bytes, ms: Date.now() - started });
      else reject(setupError(`Maven could not resolve ${artifact} (exit ${code}); last lines:\n${last.join('\n')}`));
    });
  });
}

/** The standalone's classpath: resolved by Maven once, cached in .pravega/classpath.txt with the pom's hash. */
export async function standaloneClasspath(log = console.log) {
  const hash = createHash('sha256')
    .update(readFileSync(join(pomDir, 'pom.xml')))
    .digest('hex')
    .slice(0, 16);
  const cache = join(defaultDataDir, 'classpath.txt');
  const cached = () => {
    const [header, cp] = (readText(cache) ?? '').split('\n');
    const valid = header === `# sha256(pravega/pom.xml) ${hash}` && cp && cp.split(':').every((jar) => existsSync(jar));
    return valid ? cp : undefined;
  };
  const hit = cached();
  if (hit) return hit;
  mkdirSync(defaultDataDir, { recursive: true });
  return withLock(join(defaultDataDir, 'maven.lock'), log, 'resolving the classpath with Maven', async () => {
    const again = cached();
    if (again) return again;
    log(`resolving ${ARTIFACT} with Maven (first run downloads ~230 MB into ~/.m2)…`);
    const tmp = join(defaultDataDir, `classpath.${process.pid}.tmp`);
    const result = await runMaven(['-B', 'dependency:build-classpath', `-Dmdep.outputFile=${tmp}`], pomDir, log);
    const cp = readFileSync(tmp, 'utf8').trim();
    writeFileSync(tmp, `# sha256(pravega/pom.xml) ${hash}\n${cp}\n`);
    renameSync(tmp, cache);
    const downloaded = result.files ? `, downloaded ${result.files} files (${(result.bytes / 1e6).toFixed(1)} MB)` : '';
    log(`resolved ${cp.split(':').length} jars in ${Math.round(result.ms / 1000)} s${downloaded}`);
    return cp;
  });
}

/** True when a TCP connection to 127.0.0.1:`port` succeeds within a second. */
export function portOpen(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

// checkScopeExists(ScopeInfo{scope: "_system"}) as a gRPC frame: it goes through the controller's
// stream store, so an answer means the controller is really serving, not just listening.
const CHECK_SCOPE = Buffer.from([0, 0, 0, 0, 9, 0x0a, 7, ...Buffer.from('_system')]);
// OK, or the refusals of an auth-enabled controller (which still proves it is serving).
const SERVING_STATUSES = new Set(['0', '7', '16']);

/** True when a Pravega controller answers a gRPC call on 127.0.0.1:`port`. */
export function controllerServing(port, timeoutMs = 3000, { tls = false } = {}) {
  return new Promise((resolve) => {
    // With TLS the certificate is not checked here: this only asks whether it serves.
    const session = tls
      ? connectHttp2(`https://127.0.0.1:${port}`, { rejectUnauthorized: false })
      : connectHttp2(`http://127.0.0.1:${port}`);
    let finished = false;
    const finish = (ok) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      session.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    session.on('error', () => finish(false));
    const req = session.request({
      ':method': 'POST',
      ':path': '/io.pravega.controller.stream.api.grpc.v1.ControllerService/checkScopeExists',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const onHeaders = (headers) => {
      const status = headers['grpc-status'];
      if (status !== undefined) finish(SERVING_STATUSES.has(String(status)));
    };
    req.on('response', onHeaders);
    req.on('trailers', onHeaders);
    req.on('data', () => {});
    req.on('error', () => finish(false));
    req.on('close', () => finish(false));
    req.end(CHECK_SCOPE);
  });
}

/** Whether a standalone serves on the given ports, and what .pravega/ knows about it. */
export async function pravegaStatus(opts = {}) {
  const o = withDefaults(opts);
  const [controller, segmentStore] = await Promise.all([
    controllerServing(o.controllerPort),
    portOpen(o.segmentStorePort),
  ]);
  const state = readState(o);
  return { ready: controller && segmentStore, controller, segmentStore, state };
}

function files(o) {
  const base = join(o.dataDir, o.name);
  return {
    log: `${base}.log`,
    pid: `${base}.pid`,
    state: `${base}.json`,
    leases: `${base}.leases`,
    lock: `${base}.lock`,
    props: `${base}.properties`,
    passwd: `${base}.passwd`,
    keyStore: `${base}.keystore.jks`,
    trustStore: `${base}.truststore.jks`,
    storePassword: `${base}.keystore.pwd`,
    logback: join(o.dataDir, 'logback.xml'),
  };
}

/** The state file of a live instance on these ports, or undefined. */
function readState(o) {
  const f = files(o);
  try {
    const state = JSON.parse(readFileSync(f.state, 'utf8'));
    if (state.controllerPort === o.controllerPort && isPravegaProcess(state.pid)) return state;
  } catch {}
  // A pid file without a state file (an older script, or written by hand): trust it if the
  // JVM's command line says it serves this controller port.
  const pid = Number(readText(f.pid));
  if (!isPravegaProcess(pid)) return undefined;
  const port = /-Dsinglenode\.controller\.rpc\.port=(\d+)/.exec(readText(`/proc/${pid}/cmdline`) ?? '')?.[1];
  return Number(port ?? 9090) === o.controllerPort
    ? { pid, controllerPort: o.controllerPort, autoStop: false }
    : undefined;
}

/** Removes the state of a stopped instance, unless the files already describe a newer one. */
function forget(f, pid) {
  const recorded = readText(f.pid)?.trim();
  if (recorded !== undefined && recorded !== String(pid)) return;
  for (const file of [f.pid, f.state]) rmSync(file, { force: true });
  rmSync(f.leases, { recursive: true, force: true });
}

export function tail(file, lines = 20) {
  const text = readText(file)?.trim();
  return text ? text.split('\n').slice(-lines).join('\n') : '(empty log)';
}

// Pravega's password file (PasswordAuthHandler): `user:digest:acl` per line, where digest is the
// hex of the ASCII text `iterations:hex(salt):hex(hash)`, hash = PBKDF2-HMAC-SHA256 with 5000
// iterations, a 32-byte salt and a 64-byte key (StrongPasswordProcessor's defaults).
function passwordDigest(password) {
  const salt = randomBytes(32);
  const hash = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, 5000, 64, 'sha256');
  return Buffer.from(`5000:${salt.toString('hex')}:${hash.toString('hex')}`, 'ascii').toString('hex');
}

// The standalone reads the key store and trust store passwords from a file; its ZooKeeper clean-up
// hard-codes 1111_aaaa as the trust store password, so the stores must use exactly that.
const STORE_PASSWORD = '1111_aaaa';

function runTool(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error?.code === 'ENOENT') throw setupError(`${cmd} is needed to start Pravega with TLS (not found on PATH)`);
  if (r.status !== 0) throw setupError(`${cmd} ${args[0]} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`);
}

/**
 * The singlenode.security.* properties for `auth` and `tls` (SingleNodeConfig at v0.13.0), with
 * the files they point at written next to the instance's other files.
 */
function securityProps(o, f) {
  const props = {};
  if (o.auth) {
    const { username, password, users = [] } = o.auth;
    const lines = [{ username, password, acl: 'prn::*,READ_UPDATE;' }, ...users].map(
      (u) => `${u.username}:${passwordDigest(u.password)}:${u.acl}\n`,
    );
    writeFileSync(f.passwd, lines.join(''), { mode: 0o600 });
    Object.assign(props, {
      'singlenode.security.auth.enable': 'true',
      'singlenode.security.auth.pwdAuthHandler.accountsDb.location': f.passwd,
      // The segment store's own controller client (auto-scaling) logs in with these.
      'singlenode.security.auth.credentials.username': username,
      'singlenode.security.auth.credentials.pwd': password,
    });
  }
  if (o.tls) {
    const { certFile, keyFile, caFile } = o.tls;
    // ZooKeeper (which turns TLS on with the rest) wants Java key and trust stores.
    const p12 = `${f.keyStore}.p12`;
    for (const file of [p12, f.keyStore, f.trustStore]) rmSync(file, { force: true });
    runTool('openssl', [
      'pkcs12',
      '-export',
      '-in',
      certFile,
      '-inkey',
      keyFile,
      '-name',
      'server',
      '-out',
      p12,
      '-passout',
      `pass:${STORE_PASSWORD}`,
    ]);
    runTool('keytool', [
      '-importkeystore',
      '-noprompt',
      '-srckeystore',
      p12,
      '-srcstoretype',
      'PKCS12',
      '-srcstorepass',
      STORE_PASSWORD,
      '-destkeystore',
      f.keyStore,
      '-deststoretype',
      'JKS',
      '-deststorepass',
      STORE_PASSWORD,
    ]);
    runTool('keytool', [
      '-importcert',
      '-noprompt',
      '-alias',
      'ca',
      '-file',
      caFile,
      '-keystore',
      f.trustStore,
      '-storetype',
      'JKS',
      '-storepass',
      STORE_PASSWORD,
    ]);
    rmSync(p12, { force: true });
    writeFileSync(f.storePassword, STORE_PASSWORD);
    Object.assign(props, {
      'singlenode.security.tls.enable': 'true',
      // The server sends this file as its chain and the controller also trusts it, so it should
      // hold the server certificate followed by the CA's.
      'singlenode.security.tls.certificate.location': certFile,
      'singlenode.security.tls.privateKey.location': keyFile,
      'singlenode.security.tls.keyStore.location': f.keyStore,
      'singlenode.security.tls.keyStore.pwd.location': f.storePassword,
      'singlenode.security.tls.trustStore.location': f.trustStore,
    });
  }
  return props;
}

/**
 * Starts a fresh standalone on the given ports and waits until it is ready (readiness line in the
 * log, the segment store port open, the controller answering gRPC). `stop()` sends SIGTERM, then
 * SIGKILL after 10 s.
 */
export async function startPravega(opts = {}) {
  const o = withDefaults(opts);
  const { log } = o;
  const java = javaVersion();
  log(`JDK: ${java}`);
  const cp = await standaloneClasspath(log);
  for (const [what, port] of [
    ['controller', o.controllerPort],
    ['segment store', o.segmentStorePort],
    ['ZooKeeper', o.zkPort],
  ]) {
    if (await portOpen(port))
      throw setupError(
        `cannot start Pravega: port ${port} (${what}) is already in use (node scripts/pravega.mjs status)`,
      );
  }
  const f = files(o);
  mkdirSync(o.dataDir, { recursive: true });
  const props = {
    // A burst of writes that fills the standalone's default 128 MiB cache before its storage
    // writer drains it fails a segment container (CacheFullException); tests and benchmarks burst.
    'pravegaservice.cache.size.max': String(1024 ** 3),
    ...securityProps(o, f),
    ...o.extraProps,
  };
  writeFileSync(
    f.props,
    `${Object.entries(props)
      .map(([k, v]) => `${k}=${v}\n`)
      .join('')}`,
  );
  writeFileSync(f.logback, LOGBACK);
  writeFileSync(f.log, '');
  const out = openSync(f.log, 'a');
  const args = [
    // The standalone keeps every event in its heap (in-memory storage): benchmarks of 1 GB of
    // history and many concurrent test files need room. SLUICE_PRAVEGA_HEAP overrides.
    `-Xmx${process.env.SLUICE_PRAVEGA_HEAP ?? '4g'}`,
    '-XX:+UseSerialGC',
    `-Dsinglenode.configurationFile=${f.props}`,
    `-Dsinglenode.zk.port=${o.zkPort}`,
    `-Dsinglenode.controller.rpc.port=${o.controllerPort}`,
    `-Dsinglenode.segmentStore.port=${o.segmentStorePort}`,
    '-Dsinglenode.controller.rest.enable=false',
    '-Dsinglenode.admin.gateway.enable=false',
    '-Dpravegaservice.service.published.host.nameOrIp=127.0.0.1',
    `-Dlogback.configurationFile=${f.logback}`,
    `-Dsluice.log.file=${f.log}`,
    ...o.jvmArgs,
    '-cp',
    cp,
    'io.pravega.local.LocalPravegaEmulator',
  ];
  log(
    `starting Pravega standalone (controller ${o.controllerPort}, segment store ${o.segmentStorePort}, ZooKeeper ${o.zkPort}); log: ${f.log}`,
  );
  // Its own process group, so that stop() also reaches anything it forks; unref'd, so that a
  // background start (`pravega.mjs start`) can exit and leave it running.
  const child = spawn('java', args, { cwd: o.dataDir, stdio: ['ignore', out, out], detached: true });
  child.unref();
  closeSync(out);
  const pid = child.pid;
  let exit;
  child.once('exit', (code, signal) => {
    exit = signal ?? `code ${code}`;
  });
  child.once('error', (err) => {
    exit = err.message;
  });
  writeFileSync(f.pid, String(pid));
  const state = {
    pid,
    owner: process.pid,
    autoStop: Boolean(o.autoStop),
    controllerPort: o.controllerPort,
    segmentStorePort: o.segmentStorePort,
    zkPort: o.zkPort,
    java,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(f.state, `${JSON.stringify(state, null, 2)}\n`);
  const stop = async () => {
    await terminate(pid);
    forget(f, pid);
  };
  const started = Date.now();
  let reported = started;
  for (;;) {
    if (exit) {
      forget(f, pid);
      throw setupError(`Pravega standalone exited during start-up (${exit}); last log lines:\n${tail(f.log)}`);
    }
    if (
      readText(f.log)?.includes(READY_LINE) &&
      (await portOpen(o.segmentStorePort)) &&
      (await controllerServing(o.controllerPort, 3000, { tls: Boolean(o.tls) }))
    )
      break;
    if (Date.now() - started > o.timeoutMs) {
      await stop();
      throw setupError(
        `Pravega standalone was not ready after ${Math.round(o.timeoutMs / 1000)} s (stopped it); last log lines:\n${tail(f.log)}`,
      );
    }
    if (Date.now() - reported >= 5000) {
      reported = Date.now();
      log(`waiting for Pravega… ${Math.round((Date.now() - started) / 1000)} s`);
    }
    await sleep(250);
  }
  log(`Pravega standalone ready in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${pid})`);
  const scheme = o.tls ? 'tls' : 'tcp';
  return {
    controllerUri: `${scheme}://127.0.0.1:${o.controllerPort}`,
    segmentStoreUri: `${scheme}://127.0.0.1:${o.segmentStorePort}`,
    pid,
    logFile: f.log,
    java,
    stop,
  };
}

export function liveLeases(dir) {
  let names = [];
  try {
    names = readdirSync(dir);
  } catch {}
  return names.map(Number).filter((pid) => pid !== process.pid && alive(pid));
}

/**
 * A release() for a run using an instance that ensurePravega() started (here or in another run):
 * the last run to let go stops it, so that one engineer's finishing test run does not pull the
 * standalone from under another's. Instances started otherwise (`pravega.mjs start`, by hand)
 * are never stopped here.
 */
function leaseFor(o, state) {
  if (!state?.autoStop) return async () => {};
  const f = files(o);
  mkdirSync(f.leases, { recursive: true });
  const mine = join(f.leases, String(process.pid));
  writeFileSync(mine, '');
  return async () => {
    rmSync(mine, { force: true });
    const others = liveLeases(f.leases);
    if (others.length > 0 || (state.owner !== process.pid && alive(state.owner))) {
      if (state.owner === process.pid) o.log(`leaving Pravega running for ${others.length} other run(s)`);
      return;
    }
    o.log('stopping Pravega standalone');
    await terminate(state.pid);
    forget(f, state.pid);
  };
}

/**
 * A standalone for this run: one that already serves on the ports is reused, otherwise one is
 * started. release() stops it when this run started it and no other run still uses it (nothing
 * else is ever stopped); stop() stops one that this run started, regardless. With
 * `background: true` one started here is left running for everyone (`pravega.mjs start`).
 */
export async function ensurePravega(opts = {}) {
  const o = withDefaults(opts);
  const controllerUri = `tcp://127.0.0.1:${o.controllerPort}`;
  const reuse = async () => {
    const state = readState(o);
    const who = state ? ` (pid ${state.pid}${state.java ? `, ${state.java}` : ''})` : '';
    o.log(`reusing the Pravega standalone on ports ${o.controllerPort}/${o.segmentStorePort}${who}`);
    return { controllerUri, logFile: files(o).log, release: leaseFor(o, state), stop: async () => {} };
  };
  if ((await pravegaStatus(o)).ready) return reuse();
  // Something listening but not serving: a standalone still starting (by hand or by another run).
  const started = Date.now();
  let reported = started;
  while ((await portOpen(o.controllerPort)) || (await portOpen(o.segmentStorePort))) {
    if ((await pravegaStatus(o)).ready) return reuse();
    if (Date.now() - started > o.timeoutMs)
      throw setupError(
        `port ${o.controllerPort} or ${o.segmentStorePort} is taken by something that is not a ready Pravega standalone`,
      );
    if (Date.now() - reported >= 5000) {
      reported = Date.now();
      o.log(
        `waiting for the standalone starting on ${o.controllerPort}… ${Math.round((Date.now() - started) / 1000)} s`,
      );
    }
    await sleep(500);
  }
  mkdirSync(o.dataDir, { recursive: true });
  const waitForOther = async () => ((await pravegaStatus(o)).ready ? reuse() : undefined);
  return withLock(
    files(o).lock,
    o.log,
    'starting Pravega',
    async () => {
      if ((await pravegaStatus(o)).ready) return reuse();
      const running = await startPravega({ ...o, autoStop: !o.background });
      return { controllerUri, logFile: running.logFile, release: leaseFor(o, readState(o)), stop: running.stop };
    },
    waitForOther,
  );
}

/** Stops the standalone recorded in .pravega/<name>.pid (e.g. a background `pravega.mjs start`). */
export async function stopPravega(opts = {}) {
  const o = withDefaults(opts);
  const f = files(o);
  const pid = Number(readText(f.pid));
  if (!isPravegaProcess(pid)) return false;
  await terminate(pid);
  forget(f, pid);
  return true;
}
