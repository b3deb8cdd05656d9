/** Segment-store replies that answer a request with an error rather than a result. */
export const ERROR_REPLIES = new Set([
  'WrongHost',
  'SegmentIsSealed',
  'SegmentAlreadyExists',
  'NoSuchSegment',
  'SegmentIsTruncated',
  'OperationUnsupported',
  'AuthTokenCheckFailed',
  'ErrorMessage',
  'TableSegmentNotEmpty',
  'TableKeyDoesNotExist',
  'TableKeyBadVersion',
  'InvalidEventNumber',
]);
