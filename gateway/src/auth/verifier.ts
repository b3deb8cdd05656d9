/**
 * Client tokens: JWTs checked with jose — signature (HS256 with a shared secret file, or
 * RS256/ES256 against a JWKS file or URL), exp, nbf, aud and iss. Grants come from the token's
 * "grants" claim (see grants.ts). A token without `exp` would grant its rights forever (a leaked
 * one could never be made to lapse), so it is refused unless the operator allows it.
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
  /** Accept tokens with no `exp` claim (they never expire). */
  allowTokensWithoutExp?: boolean | undefined;
}

export type TokenVerifier = (token: string) => Promise<Principal>;

/**
 * The verifier for these options, or undefined when none of the key sources is set (auth off).
 * More than one source is refused: which one wins would be a guess.
 */
export function createVerifier(opts: VerifierOptions): TokenVerifier | undefined {
  const sources = [
    opts.secretFile && '--auth-secret-file',
    opts.jwksFile && '--auth-jwks-file',
    opts.jwksUrl && '--auth-jwks-url',
  ].filter(Boolean);
  if (sources.length > 1)
    throw new GatewayError(
      'invalid-argument',
      `${sources.join(' and ')} are both set: give exactly one source of token keys`,
    );
  let key: Uint8Array | JWTVerifyGetKey;
  let algorithms: string[];
  if (opts.secretFile) {
    key = new Uint8Array(readFile('--auth-secret-file', opts.secretFile));
    if (key.length === 0) throw new GatewayError('invalid-argument', `--auth-secret-file ${opts.secretFile} is empty`);
    algorithms = ['HS256'];
  } else if (opts.jwksFile) {
    const text = readFile('--auth-jwks-file', opts.jwksFile).toString('utf8');
    try {
      key = createLocalJWKSet(JSON.parse(text));
    } catch (err) {
      throw new GatewayError('invalid-argument', `--auth-jwks-file ${opts.jwksFile}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    algorithms = ['RS256', 'ES256'];
  } else if (opts.jwksUrl) {
    if (!URL.canParse(opts.jwksUrl))
      throw new GatewayError('invalid-argument', `--auth-jwks-url "${opts.jwksUrl}" is not a URL`);
    key = createRemoteJWKSet(new URL(opts.jwksUrl));
    algorithms = ['RS256', 'ES256'];
  } else {
    return undefined;
  }
  const requiredClaims = opts.allowTokensWithoutExp ? [] : ['exp'];
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, key as never, {
        algorithms,
        audience: opts.audience,
        requiredClaims,
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

function readFile(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new GatewayError('invalid-argument', `${flag}: ${(err as Error).message}`, { cause: err });
  }
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
