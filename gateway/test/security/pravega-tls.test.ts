/**
 * The gateway against a Pravega standalone with TLS and auth on, as a production cluster runs (its
 * own ports; certificates made with openssl for 127.0.0.1 and localhost): TLS to the controller
 * and to the segment store the controller names, the CA file, a wrong CA, hostname validation on
 * and off, and credentials and delegation tokens over TLS.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SluiceClient } from '@sluice/sdk';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningPravega, startPravega } from '../../../scripts/pravega-lib.mjs';
import { SegmentStoreConnection } from '../../src/segmentstore/connection.js';
import { loadConfig } from '../../src/server/config.js';
import { type RunningGateway, startGateway } from '../../src/server/gateway.js';
import { uniqueName } from '../helpers/names.js';
import { connectSdk } from '../helpers/sdk.js';
import { type Ca, makeCa, makeServerCert } from './certs.js';
import { runCli, writeBothWaysAndReadBack } from './helpers.js';

const CONTROLLER = 19490;
const SEGMENT_STORE = 22745;
// Loopback, but not a name the certificate lists: Linux routes all of 127/8 to lo.
const UNLISTED_HOST = '127.0.0.2';
const quiet = pino({ level: 'silent' });
const USER = 'sluice-gateway';
const PASSWORD = randomBytes(12).toString('base64url');
// PASSWORD may start with '-' (base64url): the =<value> form keeps it an argument.
const LOGIN = ['--pravega-username', USER, `--pravega-password=${PASSWORD}`];

let dir: string;
let ca: Ca;
let otherCa: Ca;
let pravega: RunningPravega;
const scope = uniqueName('tls');

function gatewayWith(host: string, args: string[]): Promise<RunningGateway> {
  const config = loadConfig(['--port', '0', '--controller', `tls://${host}:${CONTROLLER}`, ...LOGIN, ...args], {});
  return startGateway(config, quiet);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-pravega-tls-'));
  ca = makeCa(dir, 'sluice-test-ca');
  otherCa = makeCa(dir, 'some-other-ca');
  const server = makeServerCert(dir, 'pravega', ca, ['DNS:localhost', 'IP:127.0.0.1']);
  pravega = await startPravega({
    name: 'security-tls',
    dataDir: dir,
    controllerPort: CONTROLLER,
    segmentStorePort: SEGMENT_STORE,
    zkPort: 14400,
    tls: { certFile: server.chainFile, keyFile: server.keyFile, caFile: ca.certFile },
    auth: { username: USER, password: PASSWORD },
    log: () => {},
  });
}, 240_000);

afterAll(async () => {
  await pravega?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Through a gateway: a stream, 300 events at-least-once and 50 in a transaction, all read back. */
async function writeAndReadBack(gateway: RunningGateway): Promise<void> {
  const client: SluiceClient = await connectSdk(gateway.url, scope);
  try {
    await client.createScope(scope);
    await writeBothWaysAndReadBack(client, uniqueName('rw'), 300, 50);
  } finally {
    await client.close();
  }
}

describe('Pravega with TLS and auth on', () => {
  it('writes and reads through a gateway that trusts the CA (tls:// controller, TLS segment store)', async () => {
    const gateway = await gatewayWith('127.0.0.1', ['--pravega-ca-file', ca.certFile]);
    try {
      // /readyz opens its own TLS connection to the segment store the controller names.
      expect((await fetch(`http://127.0.0.1:${gateway.port}/readyz`)).status).toBe(200);
      await writeAndReadBack(gateway);
    } finally {
      await gateway.close();
    }
  });

  it('refuses to start when Pravega is signed by a CA it does not trust, saying which flag to check', async () => {
    for (const args of [['--pravega-ca-file', otherCa.certFile], []]) {
      await expect(gatewayWith('127.0.0.1', args)).rejects.toMatchObject({
        code: 'unauthenticated',
        message: expect.stringMatching(
          /^the gateway refused the Pravega controller's TLS certificate \(SELF_SIGNED_CERT_IN_CHAIN: .*--pravega-ca-file/,
        ),
      });
    }
    const run = await runCli([
      '--port',
      '0',
      '--controller',
      `tls://127.0.0.1:${CONTROLLER}`,
      ...LOGIN,
      '--pravega-ca-file',
      otherCa.certFile,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^sluice-gateway: unauthenticated: the gateway refused the Pravega controller's TLS/),
    ]);
  });

  it('sends the credentials over TLS: a wrong password is refused with the credentials error', async () => {
    await expect(
      gatewayWith('127.0.0.1', ['--pravega-ca-file', ca.certFile, '--pravega-password', 'wrong']),
    ).rejects.toMatchObject({
      code: 'unauthenticated',
      message: expect.stringMatching(/^Pravega refused the gateway's credentials \(UNAUTHENTICATED\)/),
    });
  });

  it('checks the host name against the certificate unless --validate-hostname false', async () => {
    await expect(gatewayWith(UNLISTED_HOST, ['--pravega-ca-file', ca.certFile])).rejects.toMatchObject({
      code: 'unauthenticated',
      message: expect.stringMatching(/ERR_TLS_CERT_ALTNAME_INVALID: .*--validate-hostname false/),
    });
    const gateway = await gatewayWith(UNLISTED_HOST, [
      '--pravega-ca-file',
      ca.certFile,
      '--validate-hostname',
      'false',
    ]);
    try {
      await writeAndReadBack(gateway);
    } finally {
      await gateway.close();
    }
  });

  it('applies the same checks on the segment store connection', async () => {
    const open = async (host: string, tls: { ca: string; validateHostname: boolean }) => {
      const conn = new SegmentStoreConnection({
        host,
        port: SEGMENT_STORE,
        tls: { ca: tls.ca, validateHostname: tls.validateHostname },
        logger: quiet,
      });
      try {
        await conn.whenReady();
      } finally {
        conn.close();
      }
    };
    const trusted = readFileSync(ca.certFile, 'utf8');
    const untrusted = readFileSync(otherCa.certFile, 'utf8');
    await expect(open('127.0.0.1', { ca: trusted, validateHostname: true })).resolves.toBeUndefined();
    await expect(open('127.0.0.1', { ca: untrusted, validateHostname: true })).rejects.toMatchObject({
      cause: { code: 'SELF_SIGNED_CERT_IN_CHAIN' },
    });
    await expect(open(UNLISTED_HOST, { ca: trusted, validateHostname: true })).rejects.toMatchObject({
      cause: { code: 'ERR_TLS_CERT_ALTNAME_INVALID' },
    });
    await expect(open(UNLISTED_HOST, { ca: trusted, validateHostname: false })).resolves.toBeUndefined();
  });
});
