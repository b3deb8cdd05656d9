/** Segment naming and ids (fact sheet §2). */

/** `scope/stream/<number>.#epoch.<epoch>`: what the segment store calls a stream segment. */
export function segmentName(scope: string, stream: string, segmentId: bigint): string {
  return `${scope}/${stream}/${segmentNumber(segmentId)}.#epoch.${segmentEpoch(segmentId)}`;
}

export function segmentNumber(segmentId: bigint): number {
  return Number(segmentId & 0xffffffffn);
}

export function segmentEpoch(segmentId: bigint): number {
  return Number((segmentId >> 32n) & 0xffffffffn);
}

export function segmentIdOf(epoch: number, number: number): bigint {
  return (BigInt(epoch) << 32n) | BigInt(number >>> 0);
}

/** `<parent qualified name>#transaction.<32 hex digits of the txn id>`. */
export function txnSegmentName(parentQualifiedName: string, txnId: string): string {
  return `${parentQualifiedName}#transaction.${txnId.replace(/-/g, '').toLowerCase()}`;
}

/** A canonical UUID string ↔ the two signed 64-bit halves Pravega's TxnId carries. */
export function uuidToBits(uuid: string): { highBits: bigint; lowBits: bigint } {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new TypeError(`not a UUID: ${uuid}`);
  return {
    highBits: BigInt.asIntN(64, BigInt(`0x${hex.slice(0, 16)}`)),
    lowBits: BigInt.asIntN(64, BigInt(`0x${hex.slice(16)}`)),
  };
}

export function bitsToUuid(highBits: bigint, lowBits: bigint): string {
  const hex =
    BigInt.asUintN(64, highBits).toString(16).padStart(16, '0') +
    BigInt.asUintN(64, lowBits).toString(16).padStart(16, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
