/**
 * The SDK's one error class. `code` is a closed set (documented in the README's error table);
 * `retriable` follows from the code.
 */
export type SluiceErrorCode =
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
  | 'conflict'
  | 'internal';

const CODES: ReadonlySet<string> = new Set<SluiceErrorCode>([
  'unauthenticated',
  'permission-denied',
  'not-found',
  'already-exists',
  'invalid-argument',
  'sealed',
  'truncated',
  'txn-aborted',
  'outcome-unknown',
  'unavailable',
  'resource-exhausted',
  'protocol',
  'cancelled',
  'reassigned',
  'conflict',
  'internal',
]);

const RETRIABLE: ReadonlySet<SluiceErrorCode> = new Set<SluiceErrorCode>(['unavailable', 'resource-exhausted']);

/** Where data below a reader's position was truncated away, and where reading could resume. */
export interface Truncation {
  stream: string;
  segment: bigint;
  /** The offset the reader asked for. */
  requested: bigint;
  /** The first offset still held by Pravega. */
  resumed: bigint;
}

export class SluiceError extends Error {
  override readonly name = 'SluiceError';
  readonly code: SluiceErrorCode;
  readonly retriable: boolean;
  /** Set on `truncated` errors from a reader. */
  readonly truncation: Truncation | undefined;

  /**
   * Set on `conflict` errors from a key-value table: per key of the failed change, in order, the
   * version it has now (undefined: the key is absent). Nothing of the change was applied.
   */
  readonly currentVersions: ReadonlyArray<string | undefined> | undefined;

  constructor(
    code: SluiceErrorCode,
    message: string,
    options?: { cause?: unknown; truncation?: Truncation; currentVersions?: ReadonlyArray<string | undefined> },
  ) {
    super(message, options);
    this.code = code;
    this.retriable = RETRIABLE.has(code);
    this.truncation = options?.truncation;
    this.currentVersions = options?.currentVersions;
  }

  /** On `conflict`: the (first) key's version now; undefined if it is absent. */
  get currentVersion(): string | undefined {
    return this.currentVersions?.[0];
  }

  /** Wraps anything into a SluiceError (an unknown wire code becomes 'internal'). */
  static from(err: unknown, fallback: SluiceErrorCode = 'internal'): SluiceError {
    if (err instanceof SluiceError) return err;
    if (err instanceof Error && err.name === 'AbortError')
      return new SluiceError('cancelled', err.message, { cause: err });
    const message = err instanceof Error ? err.message : String(err);
    return new SluiceError(fallback, message, { cause: err });
  }

  /** An error as the gateway sends it ({ code, message }). */
  static fromWire(e: { code: string; message: string }): SluiceError {
    return new SluiceError(CODES.has(e.code) ? (e.code as SluiceErrorCode) : 'internal', e.message);
  }
}
