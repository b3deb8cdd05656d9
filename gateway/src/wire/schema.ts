/**
 * Every segment-store command Sluice sends or receives, as its wire grammar (Pravega 0.13,
 * WIRE_VERSION 16; fact sheet §1.5–1.6). One table instead of one file per command: the
 * grammar is the code, the encoder and decoder walk it, and the types are derived from it.
 *
 * A field is [name, kind] or [name, kind, default]: a field with a default is an optional
 * trailing field (added in a later protocol version); a decoder that finds the payload ended
 * fills in the default, as Java's does.
 */

export const FIELD_KINDS = [
  'i8',
  'i32',
  'i64',
  'bool',
  'uuid',
  'utf',
  'blob', // i32 length + bytes
  'rest', // the rest of the payload
  'i64list', // i32 count + i64s
  'utflist', // i32 count + UTF strings
  'tableKeys', // i32 count + TableKey
  'tableEntries', // i32 count + (TableKey, TableValue)
  'iteratorArgs', // four blobs
  'eventFrame', // an embedded Event frame: i32 type 0, i32 length, bytes
  'attributeUpdates', // i32 count + {UUID, i8 type, i64 new, i64 old}
  'mergedSegments', // i32 count + {UTF source, i64 newTargetWriteOffset}
] as const;

export type FieldKind = (typeof FIELD_KINDS)[number];

export interface TableKey {
  key: Uint8Array;
  version: bigint;
}
export interface TableEntry {
  key: TableKey;
  value: Uint8Array;
}
export interface TableIteratorArgs {
  continuationToken: Uint8Array;
  prefixFilter: Uint8Array;
  fromKey: Uint8Array;
  toKey: Uint8Array;
}
export interface AttributeUpdate {
  attributeId: string;
  updateType: number;
  newValue: bigint;
  oldValue: bigint;
}
export interface MergedSegment {
  source: string;
  newTargetWriteOffset: bigint;
}

export interface KindTypes {
  i8: number;
  i32: number;
  i64: bigint;
  bool: boolean;
  uuid: string;
  utf: string;
  blob: Uint8Array;
  rest: Uint8Array;
  i64list: bigint[];
  utflist: string[];
  tableKeys: TableKey[];
  tableEntries: TableEntry[];
  iteratorArgs: TableIteratorArgs;
  eventFrame: Uint8Array;
  attributeUpdates: AttributeUpdate[];
  mergedSegments: MergedSegment[];
}

type Field = readonly [string, FieldKind] | readonly [string, FieldKind, unknown];

const REQ = ['requestId', 'i64'] as const;
const TRACE = ['serverStackTrace', 'utf', ''] as const;
const NO_LONG = -1n;

export const COMMANDS = {
  // ---- connection
  Hello: {
    code: -127,
    fields: [
      ['highVersion', 'i32'],
      ['lowVersion', 'i32'],
    ],
  },
  KeepAlive: { code: 100, fields: [] },

  // ---- events and append blocks (inside appends / segment data)
  Event: { code: 0, fields: [['data', 'rest']] },
  Padding: { code: -1, fields: [['data', 'rest']] },
  PartialEvent: { code: -2, fields: [['data', 'rest']] },

  // ---- append path
  SetupAppend: { code: 1, fields: [REQ, ['writerId', 'uuid'], ['segment', 'utf'], ['delegationToken', 'utf']] },
  AppendSetup: { code: 2, fields: [REQ, ['segment', 'utf'], ['writerId', 'uuid'], ['lastEventNumber', 'i64']] },
  AppendBlock: {
    code: 3,
    fields: [
      ['writerId', 'uuid'],
      ['data', 'rest'],
    ],
  },
  AppendBlockEnd: {
    code: 4,
    fields: [
      ['writerId', 'uuid'],
      ['sizeOfWholeEvents', 'i32'],
      ['data', 'blob'],
      ['numEvents', 'i32'],
      ['lastEventNumber', 'i64'],
      ['requestId', 'i64', NO_LONG],
    ],
  },
  ConditionalAppend: {
    code: 5,
    fields: [
      ['writerId', 'uuid'],
      ['eventNumber', 'i64'],
      ['expectedOffset', 'i64'],
      ['event', 'eventFrame'],
      ['requestId', 'i64', NO_LONG],
    ],
  },
  ConditionalBlockEnd: {
    code: 89,
    fields: [['writerId', 'uuid'], ['eventNumber', 'i64'], ['expectedOffset', 'i64'], ['data', 'blob'], REQ],
  },
  DataAppended: {
    code: 7,
    fields: [
      ['writerId', 'uuid'],
      ['eventNumber', 'i64'],
      ['previousEventNumber', 'i64', NO_LONG],
      ['requestId', 'i64', NO_LONG],
      ['currentSegmentWriteOffset', 'i64', NO_LONG],
    ],
  },
  ConditionalCheckFailed: {
    code: 8,
    fields: [
      ['writerId', 'uuid'],
      ['eventNumber', 'i64'],
      ['requestId', 'i64', NO_LONG],
    ],
  },
  InvalidEventNumber: { code: 55, fields: [['writerId', 'uuid'], REQ, TRACE, ['eventNumber', 'i64', NO_LONG]] },
  CreateTransientSegment: {
    code: 40,
    fields: [REQ, ['writerId', 'uuid'], ['parentSegment', 'utf'], ['delegationToken', 'utf']],
  },

  // ---- reads and segment metadata
  ReadSegment: {
    code: 9,
    fields: [
      ['segment', 'utf'],
      ['offset', 'i64'],
      ['suggestedLength', 'i32'],
      ['delegationToken', 'utf'],
      ['requestId', 'i64', NO_LONG],
    ],
  },
  SegmentRead: {
    code: 10,
    fields: [
      ['segment', 'utf'],
      ['offset', 'i64'],
      ['atTail', 'bool'],
      ['endOfSegment', 'bool'],
      ['data', 'blob'],
      ['requestId', 'i64', NO_LONG],
    ],
  },
  GetStreamSegmentInfo: { code: 11, fields: [REQ, ['segmentName', 'utf'], ['delegationToken', 'utf']] },
  StreamSegmentInfo: {
    code: 12,
    fields: [
      REQ,
      ['segmentName', 'utf'],
      ['exists', 'bool'],
      ['isSealed', 'bool'],
      ['isDeleted', 'bool'],
      ['lastModified', 'i64'],
      ['writeOffset', 'i64'],
      ['startOffset', 'i64', 0n],
    ],
  },
  GetSegmentAttribute: {
    code: 34,
    fields: [REQ, ['segmentName', 'utf'], ['attributeId', 'uuid'], ['delegationToken', 'utf']],
  },
  SegmentAttribute: { code: 35, fields: [REQ, ['value', 'i64']] },
  UpdateSegmentAttribute: {
    code: 36,
    fields: [
      REQ,
      ['segmentName', 'utf'],
      ['attributeId', 'uuid'],
      ['newValue', 'i64'],
      ['expectedValue', 'i64'],
      ['delegationToken', 'utf'],
    ],
  },
  SegmentAttributeUpdated: { code: 37, fields: [REQ, ['success', 'bool']] },

  // ---- segment administration
  CreateSegment: {
    code: 20,
    fields: [
      REQ,
      ['segment', 'utf'],
      ['targetRate', 'i32'],
      ['scaleType', 'i8'],
      ['delegationToken', 'utf'],
      ['rolloverSizeBytes', 'i64', 0n],
    ],
  },
  SegmentCreated: { code: 21, fields: [REQ, ['segment', 'utf']] },
  SealSegment: { code: 28, fields: [REQ, ['segment', 'utf'], ['delegationToken', 'utf']] },
  SegmentSealed: { code: 29, fields: [REQ, ['segment', 'utf']] },
  DeleteSegment: { code: 30, fields: [REQ, ['segment', 'utf'], ['delegationToken', 'utf']] },
  SegmentDeleted: { code: 31, fields: [REQ, ['segment', 'utf']] },
  UpdateSegmentPolicy: {
    code: 32,
    fields: [REQ, ['segment', 'utf'], ['targetRate', 'i32'], ['scaleType', 'i8'], ['delegationToken', 'utf']],
  },
  SegmentPolicyUpdated: { code: 33, fields: [REQ, ['segment', 'utf']] },
  TruncateSegment: {
    code: 38,
    fields: [REQ, ['segment', 'utf'], ['truncationOffset', 'i64'], ['delegationToken', 'utf']],
  },
  SegmentTruncated: { code: 39, fields: [REQ, ['segment', 'utf']] },
  MergeSegments: {
    code: 58,
    fields: [
      REQ,
      ['target', 'utf'],
      ['source', 'utf'],
      ['delegationToken', 'utf'],
      ['attributeUpdates', 'attributeUpdates', []],
    ],
  },
  SegmentsMerged: {
    code: 59,
    fields: [REQ, ['target', 'utf'], ['source', 'utf'], ['newTargetWriteOffset', 'i64', NO_LONG]],
  },
  MergeSegmentsBatch: {
    code: 90,
    fields: [REQ, ['targetSegmentId', 'utf'], ['sourceSegmentIds', 'utflist'], ['delegationToken', 'utf']],
  },
  SegmentsBatchMerged: { code: 91, fields: [REQ, ['target', 'utf'], ['merged', 'mergedSegments']] },

  // ---- error replies
  WrongHost: { code: 50, fields: [REQ, ['segment', 'utf'], ['correctHost', 'utf'], TRACE] },
  SegmentIsSealed: { code: 51, fields: [REQ, ['segment', 'utf'], TRACE, ['offset', 'i64', NO_LONG]] },
  SegmentAlreadyExists: { code: 52, fields: [REQ, ['segment', 'utf'], TRACE] },
  NoSuchSegment: { code: 53, fields: [REQ, ['segment', 'utf'], TRACE, ['offset', 'i64', NO_LONG]] },
  SegmentIsTruncated: {
    code: 56,
    fields: [REQ, ['segment', 'utf'], ['startOffset', 'i64'], TRACE, ['offset', 'i64', NO_LONG]],
  },
  OperationUnsupported: { code: 57, fields: [REQ, ['operationName', 'utf'], TRACE] },
  AuthTokenCheckFailed: { code: 60, fields: [REQ, TRACE, ['errorCode', 'i32', -1]] },
  ErrorMessage: { code: 61, fields: [REQ, ['segment', 'utf'], ['message', 'utf'], ['errorCode', 'i32', -1]] },
  TableSegmentNotEmpty: { code: 80, fields: [REQ, ['segment', 'utf'], ['serverStackTrace', 'utf']] },
  TableKeyDoesNotExist: { code: 81, fields: [REQ, ['segment', 'utf'], ['serverStackTrace', 'utf']] },
  TableKeyBadVersion: { code: 82, fields: [REQ, ['segment', 'utf'], ['serverStackTrace', 'utf']] },

  // ---- table segments
  CreateTableSegment: {
    code: 70,
    fields: [
      REQ,
      ['segment', 'utf'],
      ['delegationToken', 'utf'],
      ['sortedDeprecated', 'bool', false],
      ['keyLength', 'i32', 0],
      ['rolloverSizeBytes', 'i64', 0n],
    ],
  },
  DeleteTableSegment: {
    code: 71,
    fields: [REQ, ['segment', 'utf'], ['mustBeEmpty', 'bool'], ['delegationToken', 'utf']],
  },
  GetTableSegmentInfo: { code: 68, fields: [REQ, ['segmentName', 'utf'], ['delegationToken', 'utf']] },
  TableSegmentInfo: {
    code: 69,
    fields: [
      REQ,
      ['segmentName', 'utf'],
      ['startOffset', 'i64'],
      ['length', 'i64'],
      ['entryCount', 'i64'],
      ['keyLength', 'i32'],
    ],
  },
  UpdateTableEntries: {
    code: 74,
    fields: [
      REQ,
      ['segment', 'utf'],
      ['delegationToken', 'utf'],
      ['tableEntries', 'tableEntries'],
      ['tableSegmentOffset', 'i64', NO_LONG],
    ],
  },
  TableEntriesUpdated: { code: 75, fields: [REQ, ['updatedVersions', 'i64list']] },
  RemoveTableKeys: {
    code: 76,
    fields: [
      REQ,
      ['segment', 'utf'],
      ['delegationToken', 'utf'],
      ['keys', 'tableKeys'],
      ['tableSegmentOffset', 'i64', NO_LONG],
    ],
  },
  TableKeysRemoved: { code: 77, fields: [REQ, ['segment', 'utf']] },
  ReadTable: { code: 78, fields: [REQ, ['segment', 'utf'], ['delegationToken', 'utf'], ['keys', 'tableKeys']] },
  TableRead: { code: 79, fields: [REQ, ['segment', 'utf'], ['entries', 'tableEntries']] },
  ReadTableKeys: {
    code: 83,
    fields: [
      REQ,
      ['segment', 'utf'],
      ['delegationToken', 'utf'],
      ['suggestedKeyCount', 'i32'],
      ['args', 'iteratorArgs'],
    ],
  },
  TableKeysRead: { code: 84, fields: [REQ, ['segment', 'utf'], ['keys', 'tableKeys'], ['continuationToken', 'blob']] },
  ReadTableEntries: {
    code: 85,
    fields: [
      REQ,
      ['segment', 'utf'],
      ['delegationToken', 'utf'],
      ['suggestedEntryCount', 'i32'],
      ['args', 'iteratorArgs'],
    ],
  },
  TableEntriesRead: {
    code: 86,
    fields: [REQ, ['segment', 'utf'], ['entries', 'tableEntries'], ['continuationToken', 'blob']],
  },
  ReadTableEntriesDelta: {
    code: 88,
    fields: [
      REQ,
      ['segment', 'utf'],
      ['delegationToken', 'utf'],
      ['fromPosition', 'i64'],
      ['suggestedEntryCount', 'i32'],
    ],
  },
  TableEntriesDeltaRead: {
    code: 87,
    fields: [
      REQ,
      ['segment', 'utf'],
      ['entries', 'tableEntries'],
      ['shouldClear', 'bool'],
      ['reachedEnd', 'bool'],
      ['lastPosition', 'i64'],
    ],
  },
} as const satisfies Record<string, { code: number; fields: readonly Field[] }>;

export type CommandName = keyof typeof COMMANDS;

type FieldsOf<F extends readonly Field[]> = { -readonly [E in F[number] as E[0]]: KindTypes[E[1]] };

/** One decoded segment-store command, discriminated by `type`. */
export type WireCommand = { [N in CommandName]: { type: N } & FieldsOf<(typeof COMMANDS)[N]['fields']> }[CommandName];

export type Command<N extends CommandName> = Extract<WireCommand, { type: N }>;
