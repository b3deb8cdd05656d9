/**
 * Delegation tokens for the segment store (fact sheet §4.2), one per stream and access level,
 * refreshed shortly before they expire. With auth off Pravega hands out "" and it never expires.
 */
import type { ControllerClient } from '../controller/controller-client.js';

export type Access = 'read' | 'write' | 'read-write';

const REFRESH_BEFORE_EXPIRY_MS = 5_000;

function expiryOf(token: string): number {
  const parts = token.split('.');
  if (parts.length !== 3) return Number.POSITIVE_INFINITY;
  try {
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { exp?: number };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : Number.POSITIVE_INFINITY;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

export class DelegationTokens {
  private readonly cache = new Map<string, { token: string; expiresAt: number } | Promise<string>>();

  /** `now` is injectable so that a test can move past a real token's refresh point. */
  constructor(
    private readonly controller: ControllerClient,
    private readonly now: () => number = Date.now,
  ) {}

  async get(scope: string, stream: string, access: Access): Promise<string> {
    const key = `${scope}/${stream}/${access}`;
    const cached = this.cache.get(key);
    if (cached instanceof Promise) return cached;
    if (cached && cached.expiresAt - REFRESH_BEFORE_EXPIRY_MS > this.now()) return cached.token;
    const pending = this.controller.getDelegationToken(scope, stream, access).then(
      (token) => {
        this.cache.set(key, { token, expiresAt: expiryOf(token) });
        return token;
      },
      (err: unknown) => {
        this.cache.delete(key);
        throw err;
      },
    );
    this.cache.set(key, pending);
    return pending;
  }

  /** Forget a token the segment store rejected. */
  invalidate(scope: string, stream: string): void {
    for (const access of ['read', 'write', 'read-write'] as const) this.cache.delete(`${scope}/${stream}/${access}`);
  }
}
