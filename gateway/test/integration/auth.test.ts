/**
 * Client authentication and grants (JWT via jose), origins, and log hygiene, against a gateway
 * with auth on and the real standalone behind it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { connect, Serializers, type SluiceClient } from '@sluice/sdk';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { mintToken } from '../../src/auth/mint.js';
import { originAllowed } from '../../src/auth/origins.js';
import { createVerifier } from '../../src/auth/verifier.js';
import { loadConfig } from '../../src/server/config.js';
import { type RunningGateway, startGateway } from '../../src/server/gateway.js';
import { CLOSE_UNAUTHENTICATED } from '../../src/sessions/session.js';
import { controllerUri } from '../helpers/in-process-gateway.js';
import { uniqueName } from '../helpers/names.js';
import { HELLO } from '../helpers/raw-client.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-auth-'));
const secretFile = join(dir, 'secret.key');
const SECRET = 'a-development-secret-of-enough-length-123';
writeFileSync(secretFile, SECRET);
const scope = uniqueName('auth');
const ORIGIN = 'http://localhost:5173';
let gateway: RunningGateway;
let logs = '';

async function token(
  grants: string[],
  /** `ttlSeconds: null`: a token without `exp`. */
  opts: { ttlSeconds?: number | null; audience?: string; secret?: string; notBefore?: number } = {},
): Promise<string> {
  const jwt = new SignJWT({ grants })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('tester')
    .setAudience(opts.audience ?? 'sluice');
  if (opts.ttlSeconds !== null) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + (opts.ttlSeconds ?? 600));
  if (opts.notBefore !== undefined) jwt.setNotBefore(opts.notBefore);
  return jwt.sign(new TextEncoder().encode(opts.secret ?? SECRET));
}

/**
 * Opens a raw socket and says Hello: 'welcome' if the gateway answers, else the close code and
 * reason it closed with (or the HTTP status of a refused upgrade).
 */
async function hello(
  url: string,
  options: WebSocket.ClientOptions,
): Promise<'welcome' | { code: number; reason: string }> {
  const raw = new WebSocket(url, ['sluice.v1'], options);
  return new Promise((resolve) => {
    raw.once('open', () => raw.send(HELLO));
    raw.once('message', () => {
      raw.close();
      resolve('welcome');
    });
    raw.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    raw.once('unexpected-response', (_req, res) => resolve({ code: res.statusCode ?? 0, reason: 'HTTP' }));
  });
}

/** The WebSocket constructor of a browser on ORIGIN (ws lets us set the Origin header). */
function WebSocketFrom(origin: string | undefined) {
  return class extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, origin ? { origin } : {});
    }
  };
}

async function client(
  tok: string | (() => Promise<string>),
  origin: string | undefined = ORIGIN,
): Promise<SluiceClient> {
  return connect({
    url: gateway.url,
    scope,
    token: tok,
    WebSocket: WebSocketFrom(origin),
    reconnect: { baseMs: 20, maxMs: 200, maxAttempts: 1 },
  });
}

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs += chunk.toString();
      done();
    },
  });
  const config = loadConfig(
    ['--port', '0', '--controller', controllerUri(), '--auth-secret-file', secretFile, '--allowed-origin', ORIGIN],
    {},
  );
  gateway = await startGateway(config, pino({ level: 'debug' }, sink));
  const admin = await client(await token(['*/*:admin']));
  await admin.createScope(scope);
  await admin.createStream('open', { scaling: { type: 'fixed', segments: 1 } });
  await admin.close();
});

afterAll(async () => {
  await gateway?.close();
});

describe('tokens', () => {
  it('refuses missing, forged, expired, not-yet-valid and wrong-audience tokens before any data flows, saying why (4001)', async () => {
    const cases = [
      await token(['*/*:admin'], { secret: 'forged-secret-forged-secret-forged-123' }),
      await token(['*/*:admin'], { ttlSeconds: -60 }),
      await token(['*/*:admin'], { notBefore: Math.floor(Date.now() / 1000) + 3600 }),
      await token(['*/*:admin'], { audience: 'someone-else' }),
      await token(['*/*:admin'], { ttlSeconds: null }),
      'not.a.jwt',
    ];
    // Fatal at once, typed: a refused token is not retried (maxAttempts would allow 5 attempts).
    for (const t of cases)
      await expect(
        connect({ url: gateway.url, scope, token: t, WebSocket: WebSocketFrom(ORIGIN), reconnect: { maxAttempts: 5 } }),
      ).rejects.toMatchObject({ code: 'unauthenticated', message: /refused the token/ });
    await expect(
      connect({ url: gateway.url, WebSocket: WebSocketFrom(ORIGIN), reconnect: { maxAttempts: 5 } }),
    ).rejects.toMatchObject({ code: 'unauthenticated', message: /no token/ });
    // The socket is closed before any frame is read: a Hello gets no Welcome, only 4001 and why.
    expect(await hello(gateway.url, { origin: ORIGIN })).toEqual({
      code: CLOSE_UNAUTHENTICATED,
      reason: expect.stringMatching(/^unauthenticated: no token/),
    });
  });

  it('refuses a token without exp unless --allow-tokens-without-exp', async () => {
    const noExp = await token([`${scope}/*:read`], { ttlSeconds: null });
    const strict = createVerifier({ secretFile, audience: 'sluice' })!;
    await expect(strict(noExp)).rejects.toMatchObject({
      code: 'unauthenticated',
      message: expect.stringMatching(/"exp" claim/),
    });
    const lenient = createVerifier({ secretFile, audience: 'sluice', allowTokensWithoutExp: true })!;
    expect(await lenient(noExp)).toMatchObject({ subject: 'tester', expiresAt: Number.POSITIVE_INFINITY });
    // With exp, both take it; an expired one neither.
    const withExp = await token([`${scope}/*:read`]);
    expect((await strict(withExp)).expiresAt).toBeLessThan(Number.POSITIVE_INFINITY);
    await expect(lenient(await token([`${scope}/*:read`], { ttlSeconds: -60 }))).rejects.toMatchObject({
      code: 'unauthenticated',
    });
  });

  it('refuses two sources of token keys instead of picking one', () => {
    expect(() => createVerifier({ secretFile, jwksUrl: 'https://keys.example/jwks', audience: 'sluice' })).toThrowError(
      '--auth-secret-file and --auth-jwks-url are both set: give exactly one source of token keys',
    );
    expect(() => createVerifier({ secretFile: join(dir, 'missing.key'), audience: 'sluice' })).toThrowError(
      /^--auth-secret-file: ENOENT/,
    );
  });

  it('accepts a token in the Authorization header too (Node, edge)', async () => {
    const raw = new WebSocket(gateway.url, ['sluice.v1'], {
      origin: ORIGIN,
      headers: { authorization: `Bearer ${await token([`${scope}/*:read`])}` },
    });
    await new Promise((resolve, reject) => {
      raw.once('open', resolve);
      raw.once('unexpected-response', () => reject(new Error('refused')));
    });
    raw.close();
  });

  it('answers a call outside the grants with permission-denied and keeps the session usable', async () => {
    const reader = await client(await token([`${scope}/open:read`]));
    await expect(reader.createStream('other', { scaling: { type: 'fixed', segments: 1 } })).rejects.toMatchObject({
      code: 'permission-denied',
    });
    const writer = reader.writer('open', { serializer: Serializers.utf8() });
    await expect(writer.write('x')).rejects.toMatchObject({ code: 'permission-denied' });
    expect((await reader.streamInfo('open')).segments).toHaveLength(1);
    expect(await reader.listStreams(scope)).toEqual(['open']);
    await reader.close();
  });

  it('closes a session whose token expires without a refresh', async () => {
    const c = await client(await token([`${scope}/*:read`], { ttlSeconds: 2 }));
    const states: string[] = [];
    c.onStateChange((s) => states.push(s));
    while (!states.includes('reconnecting') && !states.includes('closed')) await new Promise((r) => setTimeout(r, 50));
    await c.close();
    expect(states[0]).toBe('reconnecting');
  });

  it('keeps a session alive across three expiries when the token function refreshes it', async () => {
    // Each token lives 2 s; the session must stay up until a token is minted after the third
    // one's expiry, so three lifetimes have passed, whatever the refresh schedule.
    const expiries: number[] = [];
    let pastThreeLifetimes!: () => void;
    const threeLifetimes = new Promise<void>((r) => {
      pastThreeLifetimes = r;
    });
    const c = await client(async () => {
      const now = Date.now();
      if (expiries.length >= 3 && now > expiries[2]!) pastThreeLifetimes();
      expiries.push(now + 2_000);
      return token([`${scope}/*:read`], { ttlSeconds: 2 });
    });
    const states: string[] = [];
    c.onStateChange((s) => states.push(s));
    await threeLifetimes;
    expect(states).toEqual([]);
    expect((await c.streamInfo('open')).segments).toHaveLength(1);
    await c.close();
  });

  it('mints development tokens from the CLI', async () => {
    const t = await mintToken(['--grant', `${scope}/*:read,write`, '--ttl', '5m', '--secret-file', secretFile]);
    const c = await client(t);
    expect((await c.streamInfo('open')).stream).toBe(`${scope}/open`);
    await c.close();
    await expect(mintToken(['--grant', 'bad grant', '--secret-file', secretFile])).rejects.toMatchObject({
      code: 'invalid-argument',
    });
  });
});

describe('origins', () => {
  it('refuses foreign origins before the upgrade (403)', async () => {
    for (const origin of [
      'http://evil.example',
      'http://localhost:5174',
      'null',
      'http://localhost:5173.evil.example',
      'HTTP://LOCALHOST:5173',
    ]) {
      const raw = new WebSocket(gateway.url, ['sluice.v1'], { origin });
      expect(
        await new Promise<number>((resolve) =>
          raw.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
        ),
      ).toBe(403);
    }
  });

  it('accepts none of 10,000 generated foreign, look-alike, case, port, null and missing origins', () => {
    const allowed = new Set([ORIGIN]);
    const lookAlike = fc.oneof(
      fc.constant(undefined),
      fc.constant('null'),
      fc.constant(''),
      fc.webUrl().map((u) => new URL(u).origin),
      fc.constantFrom(
        'http://localhost',
        'https://localhost:5173',
        'http://localhost:5173/',
        'http://127.0.0.1:5173',
        'http://localhost.:5173',
        ' http://localhost:5173',
      ),
      fc.tuple(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 })).map(([a, b]) => `${a}${ORIGIN}${b}`),
      fc.string().map((s) => ORIGIN.toUpperCase() + s),
      fc
        .integer({ min: 1, max: 65535 })
        .filter((p) => p !== 5173)
        .map((p) => `http://localhost:${p}`),
    );
    fc.assert(
      fc.property(lookAlike, (origin) => {
        if (origin === ORIGIN) return;
        expect(originAllowed(origin, allowed, false)).toBe(false);
      }),
      { numRuns: 10_000 },
    );
  });
});

describe('log hygiene', () => {
  it('never writes a token or the secret to the logs', () => {
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(SECRET);
    expect(logs).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/); // no JWT
  });
});

describe('asymmetric keys', () => {
  it('verifies RS256 and ES256 tokens against a JWKS file and refuses other signers', async () => {
    const { generateKeyPair, exportJWK } = await import('jose');
    const rsa = await generateKeyPair('RS256');
    const ec = await generateKeyPair('ES256');
    const stranger = await generateKeyPair('ES256');
    const jwks = {
      keys: [
        { ...(await exportJWK(rsa.publicKey)), kid: 'rsa', alg: 'RS256' },
        { ...(await exportJWK(ec.publicKey)), kid: 'ec', alg: 'ES256' },
      ],
    };
    const jwksFile = join(dir, 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify(jwks));
    const config = loadConfig(
      [
        '--port',
        '0',
        '--controller',
        controllerUri(),
        '--auth-jwks-file',
        jwksFile,
        '--auth-issuer',
        'https://issuer.test',
      ],
      {},
    );
    const jwksGateway = await startGateway(config, pino({ level: 'silent' }));
    const sign = (key: CryptoKey, alg: string, kid: string, iss = 'https://issuer.test') =>
      new SignJWT({ grants: [`${scope}/*:read`] })
        .setProtectedHeader({ alg, kid })
        .setIssuer(iss)
        .setAudience('sluice')
        .setExpirationTime('10m')
        .sign(key);
    const open = async (t: string) => hello(jwksGateway.url, { headers: { authorization: `Bearer ${t}` } });
    const refused = { code: CLOSE_UNAUTHENTICATED, reason: expect.stringMatching(/^unauthenticated: /) };
    try {
      expect(await open(await sign(rsa.privateKey, 'RS256', 'rsa'))).toBe('welcome');
      expect(await open(await sign(ec.privateKey, 'ES256', 'ec'))).toBe('welcome');
      expect(await open(await sign(stranger.privateKey, 'ES256', 'ec'))).toEqual(refused);
      expect(await open(await sign(ec.privateKey, 'ES256', 'ec', 'https://someone.else'))).toEqual(refused);
    } finally {
      await jwksGateway.close();
    }
  });
});
