/**
 * A first-in, first-out queue (shared by the gateway's stream writer, stream reader and frame
 * pool, and the SDK's reader and writer) on an array with a moving head: taking from the front
 * is O(1) and the array is compacted once the taken part is most of it. A taken slot is cleared
 * at once, so it stops keeping what it held alive — an event's payload may be a view pinning a
 * client's whole message, or a 1 MiB read reply — rather than until the next compaction.
 */
const COMPACT_AFTER = 1024;

export class Fifo<T> {
  private items: Array<T | undefined> = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  get isEmpty(): boolean {
    return this.head >= this.items.length;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The item `index` places behind the front (0: the front), or undefined past the end. */
  at(index: number): T | undefined {
    return this.items[this.head + index];
  }

  /** The front item, or undefined when empty. */
  peek(): T | undefined {
    return this.items[this.head];
  }

  /** Puts `item` in place of the front item (e.g. what is left of it once part was taken). */
  replaceFront(item: T): void {
    if (this.head >= this.items.length) throw new Error('replaceFront on an empty queue');
    this.items[this.head] = item;
  }

  /** Empties the queue; returns what it held, front first. */
  takeAll(): T[] {
    const items = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return items;
  }

  /** Removes and returns the front item, or undefined when empty. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head > COMPACT_AFTER && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
