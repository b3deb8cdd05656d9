/**
 * Log hygiene over a whole run: the gateway CLI as a child process with client auth on (an HS256
 * secret file), Pravega credentials on the command line, and debug logging. A full set of
 * sessions — tokens in Sec-WebSocket-Protocol and in Authorization, in-band refreshes, forged,
 * expired and query-string tokens, an invalid refresh, writes, reads, a transaction, admin calls,
 * a protocol error — and then every line it wrote to stdout and stderr is scanned: no token (nor
 * its base64url form, nor its signature), no secret, no password.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { connect, Serializers } from '@sluice/sdk';
import { SignJWT } from 'jose';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../../src/server/config.js';
import { startGateway } from '../../src/server/gateway.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { controllerUri } from '../helpers/in-process-gateway.js';
import { uniqueName } from '../helpers/names.js';
import { clientFrame, RawClient } from '../helpers/raw-client.js';

const SECRET = 'log-hygiene-secret-0f9e8d7c6b5a4938271605f4e3d2c1b0';
const PASSWORD = 'pravega-password-7c1e4b9a2d';
const scope = uniqueName('logs');
const tokens: string[] = [];
let gateway: GatewayProcess;

async function mint(grants: string[], opts: { ttlSeconds?: number; secret?: string; sub?: string } = {}) {
  const token = await new SignJWT({ grants })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(opts.sub ?? 'log-tester')
    .setAudience('sluice')
    .setExpirationTime(Math.floor(Date.now() / 1000) + (opts.ttlSeconds ?? 600))
    .sign(new TextEncoder().encode(opts.secret ?? SECRET));
  tokens.push(token);
  return token;
}

const sdk = (token: string | (() => Promise<string>)) =>
  connect({
    url: gateway.url,
    scope,
    token,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    reconnect: { baseMs: 20, maxMs: 200, maxAttempts: 1 },
  });

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-logs-'));
  writeFileSync(join(dir, 'secret.key'), SECRET);
  gateway = await GatewayProcess.start(
    [
      '--controller',
      controllerUri(),
      '--log-level',
      'debug',
      '--auth-secret-file',
      join(dir, 'secret.key'),
      '--pravega-username',
      'sluice-logs',
      '--pravega-password',
      PASSWORD,
    ],
    { keepAllOutput: true },
  );
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
});

describe('log hygiene', () => {
  it('a full run at debug level logs no token, no secret and no password', async () => {
    // Admin calls, writes, reads and a transaction, with a token that refreshes in-band twice.
    let refreshes = 0;
    const admin = await sdk(async () => {
      refreshes++;
      return mint([`*/*:read,write,admin`], { ttlSeconds: 3 });
    });
    await admin.createScope(scope);
    await admin.createStream('s', { scaling: { type: 'fixed', segments: 2 } });
    const writer = admin.writer('s', { serializer: Serializers.utf8() });
    await Promise.all(Array.from({ length: 50 }, (_, i) => writer.write(`event-${i}`, String(i))));
    const txn = await admin.writer('s', { serializer: Serializers.utf8(), mode: 'exactly-once' }).beginTxn();
    await txn.write('in-a-transaction', 'k');
    await txn.commit();
    const reader = admin.reader('s', { serializer: Serializers.utf8(), from: 'head' });
    let read = 0;
    for await (const _ of reader) if (++read === 51) break;
    await reader.close();
    expect(await admin.listStreams(scope)).toEqual(['s']);
    while (refreshes < 3) await new Promise((r) => setTimeout(r, 200));
    await admin.close();

    // The Authorization header, a forged token, an expired one, one in the query string.
    const viaHeader = await RawClient.session(gateway.url, {
      headers: { authorization: `Bearer ${await mint([`${scope}/*:read`])}` },
    });
    // An invalid in-band refresh closes the session with 4001.
    viaHeader.send(
      clientFrame({ kind: { case: 'authenticate', value: { token: await mint([], { secret: 'x'.repeat(40) }) } } }),
    );
    expect(await viaHeader.closed).toBe(4001);
    await expect(
      sdk(await mint(['*/*:read'], { secret: 'forged-forged-forged-forged-forged-1' })),
    ).rejects.toMatchObject({
      code: 'unauthenticated',
    });
    await expect(sdk(await mint(['*/*:read'], { ttlSeconds: -60 }))).rejects.toMatchObject({
      code: 'unauthenticated',
    });
    // A token in the query string is not looked at: refused (4001) as if there were none.
    const inQuery = await RawClient.open(`${gateway.url}/?access_token=${await mint(['*/*:read'])}`);
    if (typeof inQuery === 'number') throw new Error(`upgrade refused: ${inQuery}`);
    expect(await inQuery.closed).toBe(4001);

    // A protocol error on an authenticated socket.
    const broken = await RawClient.session(gateway.url, {
      headers: { authorization: `Bearer ${await mint([`${scope}/*:read`])}` },
    });
    broken.send(Uint8Array.from([0xff, 0xff, 0xff]));
    expect(await broken.closed).toBe(1002);

    // A malformed WebSocket frame (unmasked) after an upgrade with a token: a debug-level socket error.
    const socket = tcpConnect(gateway.port, '127.0.0.1');
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sluice.v1\r\n' +
        `Authorization: Bearer ${await mint([`${scope}/*:read`])}\r\n\r\n`,
    );
    await new Promise((resolve) => socket.once('data', resolve));
    socket.write(Buffer.from([0x82, 0x01, 0x00]));
    await new Promise((resolve) => socket.once('close', resolve));

    await gateway.stop();
    const logs = gateway.output;
    // The run was logged, at debug level, including the refusals and the protocol error.
    expect(logs).toMatch(/"level":20,.*"msg":"socket error"/);
    expect(logs).toContain('refused an unauthenticated connection');
    expect(logs).toContain('closing session: unauthenticated');
    expect(logs).toContain('protocol error');
    expect(logs).toContain('session open');
    expect(tokens.length).toBeGreaterThanOrEqual(8);
    for (const token of tokens) {
      expect(logs).not.toContain(token);
      expect(logs).not.toContain(Buffer.from(token).toString('base64url'));
      expect(logs).not.toContain(token.split('.')[2]);
    }
    expect(logs).not.toContain(SECRET);
    expect(logs).not.toContain(PASSWORD);
    expect(logs).not.toContain(Buffer.from(`sluice-logs:${PASSWORD}`).toString('base64')); // Basic credentials
    expect(logs).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/); // no JWT at all
    console.log(
      `log hygiene: ${logs.split('\n').length} log lines at debug level, ${tokens.length} tokens (${refreshes} from the refreshing source): none in the logs, nor the secret or the password`,
    );
  }, 300_000);

  it('redacts on a logger the embedding application passes in, too', async () => {
    let out = '';
    const sink = new Writable({
      write(chunk, _enc, done) {
        out += chunk.toString();
        done();
      },
    });
    const config = loadConfig(['--port', '0', '--controller', controllerUri()], {});
    const inProcess = await startGateway(config, pino({ level: 'debug' }, sink));
    try {
      inProcess.context.logger.info(
        {
          token: 'tok-1',
          password: 'pw-2',
          credentials: { username: 'u', password: 'pw-3' },
          headers: { authorization: 'Basic pw-4', 'sec-websocket-protocol': 'sluice.v1, bearer.tok-5' },
          req: { headers: { authorization: 'Bearer tok-6' } },
        },
        'fields that must not reach the logs',
      );
      expect(out).toContain('fields that must not reach the logs');
      for (const secret of ['tok-1', 'pw-2', 'pw-3', 'pw-4', 'tok-5', 'tok-6']) expect(out).not.toContain(secret);
    } finally {
      await inProcess.close();
    }
  });
});
