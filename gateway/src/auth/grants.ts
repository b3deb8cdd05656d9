/**
 * Grants: what a token lets its holder do. A grant is "<scope>/<stream>:<rights>" with rights
 * from read, write, admin (comma-separated); "*" stands for a whole scope or stream name, never a
 * part of one. Examples: "demo/*:read,write", "demo/sensors:read", "*\/*:admin".
 */
import { GatewayError } from '../errors.js';

export type Right = 'read' | 'write' | 'admin';

export interface Grant {
  readonly scope: string;
  readonly stream: string;
  readonly rights: ReadonlySet<Right>;
}

const RIGHTS = new Set<Right>(['read', 'write', 'admin']);
const NAME = /^(\*|[A-Za-z0-9._-]+)$/;

export function parseGrant(text: string): Grant {
  const colon = text.lastIndexOf(':');
  const path = colon > 0 ? text.slice(0, colon) : '';
  const [scope, stream, extra] = path.split('/');
  const rights = new Set((colon > 0 ? text.slice(colon + 1) : '').split(',').map((r) => r.trim()) as Right[]);
  if (
    !scope ||
    !stream ||
    extra !== undefined ||
    !NAME.test(scope) ||
    !NAME.test(stream) ||
    rights.size === 0 ||
    [...rights].some((r) => !RIGHTS.has(r))
  ) {
    throw new GatewayError(
      'invalid-argument',
      `invalid grant "${text}": expected <scope>/<stream>:<read|write|admin,…>`,
    );
  }
  return { scope, stream, rights };
}

export function allows(grants: readonly Grant[], scope: string, stream: string, right: Right): boolean {
  return grants.some(
    (g) =>
      (g.scope === '*' || g.scope === scope) &&
      (g.stream === '*' || g.stream === stream) &&
      (g.rights.has(right) || g.rights.has('admin')),
  );
}

/** Throws permission-denied unless a grant covers `right` on scope/stream ("*" for scope-wide calls). */
export function requireRight(grants: readonly Grant[] | undefined, scope: string, stream: string, right: Right): void {
  if (grants === undefined) return; // auth off
  if (!allows(grants, scope, stream, right)) {
    throw new GatewayError('permission-denied', `no ${right} grant for ${scope}/${stream}`);
  }
}
