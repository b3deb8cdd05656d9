/**
 * Client tokens: JWTs checked with jose — signature (HS256 with a shared secret file, or
 * RS256/ES256 against a JWKS file or URL), exp, nbf, aud and iss. Grants come from the token's
 * "grants" claim (see grants.ts).
 */
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { GatewayError } from '../errors.js';
import { type Grant, parseGrant } from './grants.js';

export interface Principal {
  readonly subject: string;
  readonly grants: readonly Grant[];
  /** ms since the epoch; Infinity if the token has no exp. */
  readonly expiresAt: number;
}

export interface VerifierOptions {
  secretFile?: string | undefined;
  jwksFile?: string | undefined;
  jwksUrl?: string | undefined;
  audience: string;
  issuer?: string | undefined;
}

export type TokenVerifier = (token: string) => Promise<Principal>;

export function createVerifier(opts: VerifierOptions): TokenVerifier | undefined {
  let key: Uint8Array | JWTVerifyGetKey;
  let algorithms: string[];
  if (opts.secretFile) {
    key = new Uint8Array(readFileSync(opts.secretFile));
    algorithms = ['HS256'];
  } else if (opts.jwksFile) {
    key = createLocalJWKSet(JSON.parse(readFileSync(opts.jwksFile, 'utf8')));
    algorithms = ['RS256', 'ES256'];
  } else if (opts.jwksUrl) {
    key = createRemoteJWKSet(new URL(opts.jwksUrl));
    algorithms = ['RS256', 'ES256'];
  } else {
    return undefined;
  }
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, key as never, {
        algorithms,
        audience: opts.audience,
        ...(opts.issuer ? { issuer: opts.issuer } : {}),
      });
      const raw = payload.grants;
      if (!Array.isArray(raw) || raw.some((g) => typeof g !== 'string'))
        throw new Error('the token carries no "grants" list');
      return {
        subject: payload.sub ?? 'anonymous',
        grants: (raw as string[]).map(parseGrant),
        expiresAt: payload.exp === undefined ? Number.POSITIVE_INFINITY : payload.exp * 1000,
      };
    } catch (err) {
      // jose's messages name the failed check (exp, aud, signature…) and never echo the token.
      throw new GatewayError('unauthenticated', `invalid token: ${(err as Error).message}`, { cause: err });
    }
  };
}

/** The bearer token of an upgrade request: `Sec-WebSocket-Protocol: bearer.<base64url>` or `Authorization: Bearer`. */
export function tokenOf(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string' && /^Bearer\s+/i.test(auth)) return auth.replace(/^Bearer\s+/i, '').trim();
  const protocols = headers['sec-websocket-protocol'];
  const list = (Array.isArray(protocols) ? protocols.join(',') : (protocols ?? '')).split(',').map((p) => p.trim());
  const bearer = list.find((p) => p.startsWith('bearer.'));
  return bearer ? Buffer.from(bearer.slice('bearer.'.length), 'base64url').toString('utf8') : undefined;
}
