/** Development tokens: `sluice-gateway token --grant 'demo/*:read,write' --ttl 1h --secret-file f`. */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { GatewayError } from '../errors.js';
import { parseGrant } from './grants.js';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

export function parseTtl(text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text.trim());
  if (!m) throw new GatewayError('invalid-argument', `--ttl "${text}": use e.g. 90s, 15m, 1h, 7d`);
  return Number(m[1]) * UNITS[m[2]!]!;
}

export async function mintToken(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): Promise<string> {
  const { values } = parseArgs({
    args: argv,
    options: {
      grant: { type: 'string', multiple: true },
      ttl: { type: 'string', default: '1h' },
      'secret-file': { type: 'string' },
      sub: { type: 'string', default: 'developer' },
      aud: { type: 'string', default: env.SLUICE_AUTH_AUDIENCE ?? 'sluice' },
      iss: { type: 'string' },
    },
    strict: true,
  });
  const secretFile = values['secret-file'] ?? env.SLUICE_AUTH_SECRET_FILE;
  if (!secretFile)
    throw new GatewayError('invalid-argument', 'token: --secret-file (or SLUICE_AUTH_SECRET_FILE) is required');
  const grants = values.grant ?? [];
  if (grants.length === 0)
    throw new GatewayError('invalid-argument', "token: at least one --grant, e.g. --grant 'demo/*:read,write'");
  for (const g of grants) parseGrant(g);
  const jwt = new SignJWT({ grants })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(values.sub)
    .setAudience(values.aud)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + parseTtl(values.ttl));
  if (values.iss) jwt.setIssuer(values.iss);
  return jwt.sign(new Uint8Array(readFileSync(secretFile)));
}
