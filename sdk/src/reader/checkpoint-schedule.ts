/**
 * When a reader stops at a safe point to checkpoint: once the application has finished with
 * every event handed out, and before the next one. A group reader commits there on its own (every
 * `autoCheckpointMs`, and whenever the group asks); a pipeline commits only with its
 * transactions, so its reader yields a marker there instead (see EventReader.steps) and the
 * pipeline commits.
 */
import type { TimerHandle, Timers } from '../transport/timers.js';

export class CheckpointSchedule {
  /** The group asked for a checkpoint, or the auto-commit interval passed; a commit clears it. */
  requested = false;
  private markers = false;
  private markerDue = false;
  private timer: TimerHandle | undefined;

  /** `autoMs`: the auto-commit interval, 0 for none (a reader outside a group, or exactly-once). */
  constructor(
    private readonly timers: Timers,
    private autoMs: number,
    private readonly wake: () => void,
  ) {}

  /** The reader commits on its own at safe points (an at-least-once group reader). */
  get automatic(): boolean {
    return this.autoMs > 0;
  }

  /** A commit of the reader's own is due at the next safe point. */
  get commitDue(): boolean {
    return this.requested && this.autoMs > 0;
  }

  /** Something must happen before the next event is handed out: a marker or a commit. */
  get due(): boolean {
    return (this.markers && (this.markerDue || this.requested)) || (this.requested && this.autoMs > 0);
  }

  /** Starts the auto-commit interval (once the reader is in its group; again is a no-op). */
  startAutomatic(): void {
    if (this.autoMs <= 0 || this.timer !== undefined) return;
    this.timer = this.timers.setInterval(() => {
      this.requested = true;
      this.wake();
    }, this.autoMs);
  }

  /** Markers instead of commits: one every `everyMs` and one whenever the group asks. */
  useMarkers(everyMs: number): void {
    this.autoMs = 0;
    this.stop();
    this.markers = true;
    this.timer = this.timers.setInterval(() => {
      this.markerDue = true;
      this.wake();
    }, everyMs);
  }

  /** The group asked for a checkpoint. */
  request(): void {
    this.requested = true;
    this.wake();
  }

  /** True (once per due marker) when the next step is a checkpoint marker. */
  takeMarker(): boolean {
    if (!this.markers || !(this.markerDue || this.requested)) return false;
    this.markerDue = false;
    return true;
  }

  stop(): void {
    if (this.timer !== undefined) this.timers.clearInterval(this.timer);
    this.timer = undefined;
  }
}
