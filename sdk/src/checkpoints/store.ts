/**
 * Checkpoint stores keep what a reader or pipeline needs to resume exactly: the reader position,
 * the user's state, and the transaction whose output the checkpoint recorded — saved in one
 * write, so they never disagree.
 */
import { SluiceError } from '../errors.js';
import type { ReaderPositionJSON } from '../reader/position.js';

export interface Checkpoint {
  /** 1, 2, 3… per key. */
  id: number;
  position: ReaderPositionJSON;
  state?: unknown;
  /** The prepared transaction holding this checkpoint's output (committed right after the save). */
  txn?: { stream: string; txnId: string };
  savedAt: string;
}

export interface CheckpointStore {
  load(key: string): Promise<Checkpoint | undefined>;
  /** Atomic: after a crash, load() returns either the previous checkpoint or this one. */
  save(key: string, checkpoint: Checkpoint): Promise<void>;
}

/** Checks a loaded value; a corrupt checkpoint is an error, never a silent restart from the head. */
export function parseCheckpoint(raw: unknown, where: string): Checkpoint {
  const cp = raw as Partial<Checkpoint> | null;
  const ok =
    cp !== null &&
    typeof cp === 'object' &&
    typeof cp.id === 'number' &&
    typeof cp.savedAt === 'string' &&
    typeof cp.position === 'object' &&
    cp.position !== null &&
    Array.isArray(cp.position.streams) &&
    (cp.txn === undefined || (typeof cp.txn.stream === 'string' && typeof cp.txn.txnId === 'string'));
  if (!ok)
    throw new SluiceError(
      'invalid-argument',
      `the checkpoint stored at ${where} is corrupt; refusing to guess where to resume`,
    );
  return cp as Checkpoint;
}

/** In memory: for tests and for state that may be lost with the process. */
export function memoryStore(): CheckpointStore {
  const data = new Map<string, string>();
  return {
    async load(key) {
      const text = data.get(key);
      return text === undefined ? undefined : parseCheckpoint(JSON.parse(text), `memory:${key}`);
    },
    async save(key, checkpoint) {
      data.set(key, JSON.stringify(checkpoint));
    },
  };
}
