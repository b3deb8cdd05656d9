/**
 * The gateway against a Pravega standalone with auth on (its own ports, a password file with one
 * user): Basic credentials to the controller, delegation tokens on the segment store's commands,
 * their refresh, and a clear start-up error for credentials Pravega refuses.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Serializers, type SluiceClient } from '@sluice/sdk';
import { type JWTPayload, SignJWT } from 'jose';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningPravega, startPravega } from '../../../scripts/pravega-lib.mjs';
import { ControllerClient } from '../../src/controller/controller-client.js';
import { SegmentStoreConnection } from '../../src/segmentstore/connection.js';
import { segmentRef } from '../../src/segmentstore/segment-ref.js';
import { DelegationTokens } from '../../src/segmentstore/tokens.js';
import { loadConfig } from '../../src/server/config.js';
import { type RunningGateway, startGateway } from '../../src/server/gateway.js';
import type { WireCommand } from '../../src/wire/index.js';
import { uniqueName } from '../helpers/names.js';
import { connectSdk } from '../helpers/sdk.js';
import { readAll, runCli, writeBothWaysAndReadBack } from './helpers.js';

// Ports of its own: the shared standalone has 9090/12345/4000, the fault tests 19290/22545/14200.
const CONTROLLER = 19390;
const SEGMENT_STORE = 22645;
const USER = 'sluice-gateway';
// Random passwords may start with '-': always passed as --pravega-password=<value>.
const PASSWORD = randomBytes(12).toString('base64url');
const quiet = pino({ level: 'silent' });
// Standalone 0.13 hard-codes a 600 s delegation-token TTL: the test across a real expiry takes
// about 11 minutes, so it runs only when asked for.
const ACROSS_EXPIRY = process.env.SLUICE_PRAVEGA_TOKEN_EXPIRY === '1';

function expiryOf(token: string): number {
  return (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp * 1000;
}

// A second user, allowed into one scope only.
const LIMITED = 'limited-user';
const LIMITED_PASSWORD = randomBytes(12).toString('base64url');
const limitedScope = uniqueName('limited');

let dir: string;
let pravega: RunningPravega;
let gateway: RunningGateway;
let client: SluiceClient;
const scope = uniqueName('auth');
const controllerUri = `tcp://127.0.0.1:${CONTROLLER}`;

function gatewayWith(args: string[]): Promise<RunningGateway> {
  return startGateway(loadConfig(['--port', '0', '--controller', controllerUri, ...args], {}), quiet);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-pravega-auth-'));
  pravega = await startPravega({
    name: 'security-auth',
    dataDir: dir,
    controllerPort: CONTROLLER,
    segmentStorePort: SEGMENT_STORE,
    zkPort: 14300,
    auth: {
      username: USER,
      password: PASSWORD,
      users: [
        {
          username: LIMITED,
          password: LIMITED_PASSWORD,
          acl: `prn::/scope:${limitedScope},READ_UPDATE;prn::/scope:${limitedScope}/*,READ_UPDATE;`,
        },
      ],
    },
    log: () => {},
  });
  gateway = await gatewayWith(['--pravega-username', USER, `--pravega-password=${PASSWORD}`]);
  client = await connectSdk(gateway.url, scope);
  expect(await client.createScope(scope)).toBe(true);
  expect(await client.createScope(limitedScope)).toBe(true);
}, 240_000);

afterAll(async () => {
  await client?.close();
  await gateway?.close();
  await pravega?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** SetupAppend on the segment store directly, with the token given; returns the reply's type. */
async function setupAppendWith(stream: string, token: string): Promise<WireCommand['type']> {
  const controller = gateway.context.controller;
  const endpoint = await controller.getEndpoint(scope, stream, 0n);
  const conn = new SegmentStoreConnection({ host: endpoint.host, port: endpoint.port, logger: quiet });
  try {
    await conn.whenReady();
    const writerId = randomUUID();
    return await new Promise<WireCommand['type']>((resolve, reject) => {
      conn.registerWriter(writerId, {
        onReply: (reply) => resolve(reply.type),
        onConnectionLost: reject,
      });
      // AuthTokenCheckFailed answers by request id, not writer id.
      const flow = conn.openFlow({ onReply: (reply) => resolve(reply.type), onConnectionLost: reject });
      conn.send({
        type: 'SetupAppend',
        requestId: (BigInt(flow) << 32n) | 1n,
        writerId,
        segment: segmentRef(scope, stream, 0n).name,
        delegationToken: token,
      });
    });
  } finally {
    conn.close();
  }
}

describe('Pravega with auth on', () => {
  it('writes at-least-once and in a transaction, and reads it all back, through the gateway', async () => {
    await writeBothWaysAndReadBack(client, uniqueName('rw'), 500, 100);
  });

  it('needs the delegation token: the segment store refuses a SetupAppend without one', async () => {
    const stream = uniqueName('token');
    await client.createStream(stream, { scaling: { type: 'fixed', segments: 1 } });
    const token = await gateway.context.segments.tokens.get(scope, stream, 'write');
    expect(token.split('.')).toHaveLength(3); // a JWT, not the "" of an auth-off Pravega
    expect(await setupAppendWith(stream, '')).toBe('AuthTokenCheckFailed');
    expect(await setupAppendWith(stream, 'not.a.token')).toBe('AuthTokenCheckFailed');
    // The same claims, signed with a key that is not the controller's.
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as JWTPayload;
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS512' })
      .sign(new TextEncoder().encode('not-the-controller-signing-key-'.repeat(3)));
    expect(await setupAppendWith(stream, forged)).toBe('AuthTokenCheckFailed');
    expect(await setupAppendWith(stream, token)).toBe('AppendSetup');
  });

  it('fetches a new token from the controller at the refresh point, and the segment store takes it', async () => {
    // Standalone 0.13 fixes the token TTL at 600 s, so the clock is moved instead of waiting.
    const stream = uniqueName('refresh');
    await client.createStream(stream, { scaling: { type: 'fixed', segments: 1 } });
    let skew = 0;
    let asked = 0;
    const controller = gateway.context.controller;
    const counting = {
      getDelegationToken: (...args: Parameters<ControllerClient['getDelegationToken']>) => {
        asked++;
        return controller.getDelegationToken(...args);
      },
    } as ControllerClient;
    const tokens = new DelegationTokens(counting, () => Date.now() + skew);
    const first = await tokens.get(scope, stream, 'write');
    expect(await tokens.get(scope, stream, 'write')).toBe(first); // cached while fresh
    expect(asked).toBe(1);
    skew = expiryOf(first) - Date.now() - 4_000; // inside the 5 s refresh window
    const second = await tokens.get(scope, stream, 'write');
    expect(asked).toBe(2);
    expect(second.split('.')).toHaveLength(3);
    expect(await setupAppendWith(stream, second)).toBe('AppendSetup');
  });

  it.runIf(ACROSS_EXPIRY)(
    'keeps a writer and a reader going across a real token expiry (SLUICE_PRAVEGA_TOKEN_EXPIRY=1)',
    async () => {
      // At expiry the segment store closes the connection of every writer set up with the old
      // token; the gateway must come back with a new one, resend, and lose or repeat nothing.
      const stream = uniqueName('expiry');
      await client.createStream(stream, { scaling: { type: 'fixed', segments: 2 } });
      const tokens = gateway.context.segments.tokens;
      const firstExpiry = expiryOf(await tokens.get(scope, stream, 'write'));
      const segment = segmentRef(scope, stream, 0n);
      const reader = client.reader(stream, { serializer: Serializers.utf8(), from: 'head' });
      const got: string[] = [];
      const reading = (async () => {
        for await (const ev of reader) got.push(ev.value);
      })();
      const writer = client.writer(stream, { serializer: Serializers.utf8() });
      await writer.write('first', 'k0');
      const sent: string[] = ['first'];
      const before = await gateway.context.segments.connectionFor(segment);
      for (let i = 0; Date.now() < firstExpiry + 30_000; i++) {
        const value = `e-${i}`;
        sent.push(value);
        await writer.write(value, `k${i % 7}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await writer.close();
      const readDeadline = Date.now() + 60_000; // a bound on waiting, not an assertion on time
      while (got.length < sent.length && Date.now() < readDeadline) await new Promise((r) => setTimeout(r, 100));
      await reader.close();
      await reading;
      // The segment store did cut the connection at expiry; the gateway carried on over a new one.
      expect(before.isClosed).toBe(true);
      expect(await gateway.context.segments.connectionFor(segment)).not.toBe(before);
      expect(got.length).toBe(sent.length);
      expect(new Set(got)).toEqual(new Set(sent));
      expect(expiryOf(await tokens.get(scope, stream, 'write'))).toBeGreaterThan(firstExpiry);
      expect(expiryOf(await tokens.get(scope, stream, 'read'))).toBeGreaterThan(firstExpiry);
    },
    15 * 60_000,
  );

  it('refuses to start with a wrong password, saying why', async () => {
    const started = gatewayWith(['--pravega-username', USER, '--pravega-password', 'wrong']);
    await expect(started).rejects.toMatchObject({
      code: 'unauthenticated',
      message: expect.stringMatching(/^Pravega refused the gateway's credentials \(UNAUTHENTICATED\)/),
    });
  });

  it('refuses to start without credentials, saying which flags to set', async () => {
    await expect(gatewayWith([])).rejects.toMatchObject({
      code: 'unauthenticated',
      message: expect.stringMatching(/Pravega requires credentials .*--pravega-username/),
    });
  });

  it('the CLI exits with one line, not a stack trace', async () => {
    const run = await runCli([
      '--port',
      '0',
      '--controller',
      controllerUri,
      '--pravega-username',
      USER,
      '--pravega-password',
      'wrong',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^sluice-gateway: unauthenticated: Pravega refused the gateway's credentials/),
    ]);
    expect(run.stderr).not.toContain('wrong'); // the password is not echoed
  });
});

describe('a Pravega user limited to one scope', () => {
  it('starts the gateway, writes and reads in its scope, and is refused outside it', async () => {
    // The start-up check's question is about _system, which this user may not see: that is a
    // permission answer, so the credentials are good and the gateway starts.
    const limitedGateway = await gatewayWith(['--pravega-username', LIMITED, `--pravega-password=${LIMITED_PASSWORD}`]);
    const limited = await connectSdk(limitedGateway.url, limitedScope);
    try {
      const stream = uniqueName('mine');
      expect(await limited.createStream(stream, { scaling: { type: 'fixed', segments: 1 } })).toBe(true);
      const writer = limited.writer(stream, { serializer: Serializers.utf8() });
      await Promise.all(['a', 'b', 'c'].map((v) => writer.write(v, 'k')));
      await writer.close();
      expect(await readAll(limited, stream, 3)).toEqual(['a', 'b', 'c']);

      const theirs = uniqueName('theirs');
      await client.createStream(theirs, { scaling: { type: 'fixed', segments: 1 } });
      await expect(
        limited.createStream(`${scope}/${uniqueName('nope')}`, { scaling: { type: 'fixed', segments: 1 } }),
      ).rejects.toMatchObject({ code: 'permission-denied' });
      const intruder = limited.writer(`${scope}/${theirs}`, { serializer: Serializers.utf8() });
      await expect(intruder.write('x', 'k')).rejects.toMatchObject({ code: 'permission-denied' });
      await intruder.close().catch(() => {});
    } finally {
      await limited.close();
      await limitedGateway.close();
    }
  });
});

describe('a controller client with the wrong password', () => {
  it('fails with unauthenticated, not retried into unavailable', async () => {
    const controller = new ControllerClient({
      uri: controllerUri,
      credentials: { username: USER, password: 'wrong' },
      retryBudgetMs: 60_000,
    });
    await expect(controller.listScopes()).rejects.toMatchObject({ code: 'unauthenticated' });
  });
});
