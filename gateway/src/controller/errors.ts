/** How controller failures become GatewayErrors, and which of them are worth retrying. */
import { Code, ConnectError } from '@connectrpc/connect';
import { type ErrorCode, GatewayError } from '../errors.js';

const CODE_MAP: Partial<Record<Code, ErrorCode>> = {
  [Code.NotFound]: 'not-found',
  [Code.AlreadyExists]: 'already-exists',
  [Code.InvalidArgument]: 'invalid-argument',
  [Code.OutOfRange]: 'invalid-argument',
  [Code.PermissionDenied]: 'permission-denied',
  [Code.Unauthenticated]: 'unauthenticated',
  [Code.Canceled]: 'cancelled',
  [Code.ResourceExhausted]: 'resource-exhausted',
  [Code.Unimplemented]: 'internal',
};

/**
 * Transient gRPC codes: the set Java's ControllerImpl retries (v0.13.0 createRetryConfig). The
 * controller answers INTERNAL for a lost connection to its metadata tables (StoreConnection-
 * Exception) and UNKNOWN for other failures there, e.g. a table not ready yet; FAILED_PRECONDITION
 * for a write conflict on its metadata (a concurrent update, which the next attempt passes).
 * Canceled is here because a dropped HTTP/2 connection surfaces as a cancelled stream; the
 * caller's own cancellation is checked before this. Whether a call may be sent again at all is
 * retry-safety.ts's question.
 */
const TRANSIENT = new Set<Code>([
  Code.Canceled,
  Code.FailedPrecondition,
  Code.Unavailable,
  Code.Unknown,
  Code.Internal,
  Code.DeadlineExceeded,
  Code.Aborted,
  Code.ResourceExhausted,
  Code.DataLoss,
]);

export function isTransient(err: unknown): boolean {
  const ce = ConnectError.from(err);
  return TRANSIENT.has(ce.code);
}

export function fromControllerError(err: unknown, what: string): GatewayError {
  if (err instanceof GatewayError) return err;
  const ce = ConnectError.from(err);
  const code = CODE_MAP[ce.code] ?? 'unavailable';
  return new GatewayError(code, `controller ${what}: ${ce.rawMessage || Code[ce.code]}`, { cause: err });
}
