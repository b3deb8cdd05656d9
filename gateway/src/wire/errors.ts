/** A typed decode/encode failure. The codec throws nothing else. */
export type WireErrorCode = 'frame-too-large' | 'unknown-type' | 'malformed' | 'string-too-long' | 'negative-length';

export class WireError extends Error {
  override readonly name = 'WireError';
  constructor(
    readonly code: WireErrorCode,
    message: string,
  ) {
    super(message);
  }
}
