/**
 * A reader's checkpoints in a CheckpointStore (readers outside a group; a group keeps its own in
 * Pravega). The reader resumes from the last one saved under its key, with the application's
 * state saved alongside: both in one write, so they never disagree.
 */
import type { CheckpointStore } from '../checkpoints/store.js';
import { ReaderPosition, type StreamPositionState } from './position.js';

export class StoreCheckpoints {
  /** The application's state saved with the checkpoint the reader resumed from. */
  restored: unknown;
  /** The id of the last checkpoint loaded or saved (ids count up per key). */
  private id = 0;

  /** `key`: the streams the reader reads, so a reader of other streams never resumes from it. */
  constructor(
    private readonly store: CheckpointStore,
    private readonly key: string,
  ) {}

  /**
   * The position of the last checkpoint saved, a copy the reader may move; undefined when there
   * is none. A corrupt checkpoint rejects: never a silent restart from the head.
   */
  async load(): Promise<Map<string, StreamPositionState> | undefined> {
    const cp = await this.store.load(this.key);
    if (!cp) return undefined;
    const position = ReaderPosition.copyOf(ReaderPosition.fromJSON(cp.position).streams).streams as Map<
      string,
      StreamPositionState
    >;
    this.restored = cp.state;
    this.id = cp.id;
    return position;
  }

  /** Saves `position` and `state` as the next checkpoint. */
  save(position: ReaderPosition, state: unknown): Promise<void> {
    return this.store.save(this.key, {
      id: ++this.id,
      position: position.toJSON(),
      ...(state !== undefined ? { state } : {}),
      savedAt: new Date().toISOString(),
    });
  }
}
