import { GatewayError } from '../errors.js';

const NAME = /^[A-Za-z0-9.-]+$/;
const INTERNAL_NAME = /^_?[A-Za-z0-9.-]+$/;

export interface ScopedStream {
  readonly scope: string;
  readonly stream: string;
}

/** Parses "scope/stream" or "stream" (then the default scope), with Pravega's name rules. */
export function parseStreamName(name: string, defaultScope: string | undefined): ScopedStream {
  const slash = name.indexOf('/');
  const scope = slash >= 0 ? name.slice(0, slash) : defaultScope;
  const stream = slash >= 0 ? name.slice(slash + 1) : name;
  if (!scope)
    throw new GatewayError('invalid-argument', `stream "${name}" names no scope and the gateway has no default scope`);
  checkScopeName(scope);
  if (!INTERNAL_NAME.test(stream) || stream.length > 250) {
    throw new GatewayError(
      'invalid-argument',
      `invalid stream name "${stream}": use letters, digits, '.' and '-' (at most 250)`,
    );
  }
  return { scope, stream };
}

export function checkScopeName(scope: string): void {
  if (!NAME.test(scope) || scope.length > 255) {
    throw new GatewayError(
      'invalid-argument',
      `invalid scope name "${scope}": use letters, digits, '.' and '-' (at most 255)`,
    );
  }
}
