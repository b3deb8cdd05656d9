/**
 * The gateway's one error class. Codes are the same closed set the SDK exposes (documented in
 * the README's error table), so an error crosses the WebSocket as `{ code, message }` unchanged.
 */
export type ErrorCode =
  | 'unauthenticated'
  | 'permission-denied'
  | 'not-found'
  | 'already-exists'
  | 'invalid-argument'
  | 'sealed'
  | 'truncated'
  | 'txn-aborted'
  | 'outcome-unknown'
  | 'unavailable'
  | 'resource-exhausted'
  | 'protocol'
  | 'cancelled'
  | 'reassigned'
  | 'internal';

const RETRIABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['unavailable', 'resource-exhausted']);

export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.retriable = RETRIABLE.has(code);
  }

  /** Wraps anything thrown into a GatewayError, keeping an existing one as it is. */
  static from(err: unknown, fallback: ErrorCode = 'internal'): GatewayError {
    if (err instanceof GatewayError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new GatewayError(fallback, message, { cause: err });
  }
}
