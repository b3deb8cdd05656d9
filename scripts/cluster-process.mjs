// One JVM of a local Pravega cluster: spawn it detached with its output in its log, find it again
// by pid from any process (the pid file, checked against the JVM's own command line), ask whether
// it is ready (each kind has its own readiness signal), measure it, stop it.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { javaArgs, processFiles } from './cluster-config.mjs';
import { alive, portOpen, readText } from './pravega-lib.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The JVM flags that mark a process as `name` of the cluster in `dir` (see javaArgs). */
function markers(dir, name) {
  return [`-Dsluice.cluster=${dir}`, `-Dsluice.process=${name}`];
}

function cmdlineArgs(pid) {
  return (readText(`/proc/${pid}/cmdline`) ?? '').split('\0');
}

/** True while `pid` runs and is process `name` of the cluster in `dir` (not a recycled pid). */
export function isClusterJvm(pid, dir, name) {
  if (!alive(pid)) return false;
  const args = cmdlineArgs(pid);
  return markers(dir, name).every((m) => args.includes(m));
}

/** The live pid of process `name` of the cluster in `dir`, from its pid file; undefined when down. */
export function livePid(dir, name) {
  const pid = Number(readText(processFiles(dir, name).pid));
  return isClusterJvm(pid, dir, name) ? pid : undefined;
}

/** Every JVM of any sluice cluster on this machine: [{ pid, dir, name }] (from /proc). */
export function scanClusterJvms() {
  const found = [];
  let entries = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const args = cmdlineArgs(entry);
    const dir = args.find((a) => a.startsWith('-Dsluice.cluster='))?.slice('-Dsluice.cluster='.length);
    const name = args.find((a) => a.startsWith('-Dsluice.process='))?.slice('-Dsluice.process='.length);
    if (dir && name && alive(Number(entry))) found.push({ pid: Number(entry), dir, name });
  }
  return found;
}

/** Resident memory of `pid` in bytes (VmRSS), or undefined when it is gone. */
export function rssBytes(pid) {
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(readText(`/proc/${pid}/status`) ?? '')?.[1];
  return kb === undefined ? undefined : Number(kb) * 1024;
}

/**
 * Starts process `p` of the cluster in `dir`: a detached JVM (its own process group, so that
 * signals reach anything it forks; unref'd, so that the caller may exit and leave it running),
 * its output appended to its log. Returns its pid, where its log stood before it started (the
 * bookie's readiness is a log line) and `exited()`, which says why it ended if it already has.
 */
export function spawnJvm(p, dir, cp) {
  const f = processFiles(dir, p.name);
  let logOffset = 0;
  try {
    logOffset = statSync(f.log).size;
  } catch {}
  const out = openSync(f.log, 'a');
  writeFileSync(out, `--- ${new Date().toISOString()} starting ${p.name}\n`);
  const child = spawn('java', javaArgs(p, dir, cp), { cwd: f.home, stdio: ['ignore', out, out], detached: true });
  closeSync(out);
  child.unref();
  let exit;
  child.once('exit', (code, signal) => {
    exit = signal ?? `exit code ${code}`;
  });
  child.once('error', (err) => {
    exit = err.message;
  });
  writeFileSync(f.pid, String(child.pid));
  return { pid: child.pid, logOffset, exited: () => exit };
}

/** SIGTERM (or `signal`) to the JVM's process group, SIGKILL after `graceMs`; resolves once it is gone. */
export async function stopJvm(pid, { signal = 'SIGTERM', graceMs = 15_000 } = {}) {
  const send = (sig) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {}
    }
  };
  if (!alive(pid)) return;
  send(signal);
  const deadline = Date.now() + graceMs;
  while (alive(pid) && (signal === 'SIGKILL' || Date.now() < deadline)) await sleep(50);
  if (!alive(pid)) return;
  send('SIGKILL');
  while (alive(pid)) await sleep(50);
}

/** Forgets the pid file of `name` if it still names `pid` (a newer start may have replaced it). */
export function forgetPid(dir, name, pid) {
  const file = processFiles(dir, name).pid;
  if (readText(file)?.trim() === String(pid)) rmSync(file, { force: true });
}

/** ZooKeeper's `ruok` four-letter command answers `imok` once it serves. */
function zookeeperOk(port) {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000);
    socket.once('connect', () => socket.write('ruok'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
    });
    socket.once('end', () => done(reply === 'imok'));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/**
 * Pravega's REST readiness: HTTP 200 with body `true`. While a controller or segment store starts
 * the same URL answers 200 with `false`, so the status alone proves nothing.
 */
export async function restReady(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/v1/health/readiness`, { signal: AbortSignal.timeout(2000) });
    return res.ok && (await res.text()).trim() === 'true';
  } catch {
    return false;
  }
}

/**
 * Whether process `p` serves. The bookie has no readiness endpoint here (its HTTP server is off):
 * it is ready once its log says it started its server component after `logOffset` and its port
 * accepts connections.
 */
export async function processReady(p, dir, logOffset = 0) {
  switch (p.kind) {
    case 'zookeeper':
      return zookeeperOk(p.port);
    case 'bookie': {
      const log = readText(processFiles(dir, p.name).log) ?? '';
      return log.slice(logOffset).includes('Started component bookie-server') && portOpen(p.port);
    }
    default:
      return restReady(p.restPort);
  }
}

/**
 * The segment containers store `name` runs, from its log since it last started: its container
 * monitor logs "Container N has been registered" once N runs and "… unregistered" once it stopped.
 * (Its REST health cannot tell: it keys every container's entry by the same name.)
 */
export function storeContainers(dir, name) {
  const log = readText(processFiles(dir, name).log) ?? '';
  const since = log.lastIndexOf(`starting ${name}\n`);
  const running = new Set();
  for (const m of log.slice(Math.max(0, since)).matchAll(/Container (\d+) has been (registered|unregistered)/g)) {
    if (m[2] === 'registered') running.add(Number(m[1]));
    else running.delete(Number(m[1]));
  }
  return [...running].sort((a, b) => a - b);
}
