/**
 * Events per second per routing key over the last minute, as a live uPlot chart. Keys beyond
 * the first eight are summed as "other keys" so the chart stays readable.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const WINDOW_S = 60;
const MAX_KEYS = 8;
const COLORS = ['#4cc9f0', '#f72585', '#b5e48c', '#ffb703', '#9b5de5', '#00f5d4', '#fb8500', '#e0e1dd', '#8d99ae'];

/** Axis lines at 0, 1, 10, 100, … up to the top of the scale. */
function decades(_u: uPlot, _axis: number, _min: number, max: number): number[] {
  const out = [0];
  for (let v = 1; v <= max; v *= 10) out.push(v);
  return out;
}

export class RateChart {
  /** Per second (unix seconds) → per key → count. */
  private readonly buckets = new Map<number, Map<string, number>>();
  private keys: string[] = [];
  /** The first keys seen get a line of their own. */
  private readonly known: string[] = [];
  private plot: uPlot | undefined;

  constructor(private readonly el: HTMLElement) {
    setInterval(() => this.redraw(), 1000);
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(el);
  }

  count(key: string): void {
    const second = Math.floor(Date.now() / 1000);
    let bucket = this.buckets.get(second);
    if (!bucket) {
      bucket = new Map();
      this.buckets.set(second, bucket);
      for (const s of this.buckets.keys()) if (s < second - WINDOW_S - 1) this.buckets.delete(s);
    }
    if (!this.known.includes(key) && this.known.length < MAX_KEYS) this.known.push(key);
    const shown = this.known.includes(key) ? key : 'other keys';
    bucket.set(shown, (bucket.get(shown) ?? 0) + 1);
  }

  /** Events in the last complete second, all keys together. */
  lastSecondRate(): number {
    const bucket = this.buckets.get(Math.floor(Date.now() / 1000) - 1);
    let sum = 0;
    for (const n of bucket?.values() ?? []) sum += n;
    return sum;
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(300, this.el.clientWidth - 8), height: 240 };
  }

  private redraw(): void {
    const now = Math.floor(Date.now() / 1000);
    const seen = new Set<string>();
    for (const b of this.buckets.values()) for (const k of b.keys()) seen.add(k);
    const keys = [...seen].sort((a, b) => (a === 'other keys' ? 1 : b === 'other keys' ? -1 : a.localeCompare(b)));
    if (keys.join() !== this.keys.join() || !this.plot) this.rebuild(keys);
    const xs: number[] = [];
    for (let s = now - WINDOW_S; s < now; s++) xs.push(s);
    const series = this.keys.map((k) => xs.map((s) => this.buckets.get(s)?.get(k) ?? 0));
    this.plot?.setData([xs, ...series]);
  }

  private rebuild(keys: string[]): void {
    this.keys = keys;
    this.plot?.destroy();
    this.plot = new uPlot(
      {
        ...this.size(),
        // asinh: a burst of thousands and a steady trickle both stay readable, and 0 is fine.
        scales: { y: { distr: 4, asinh: 1, range: (_u, _min, max) => [0, Math.max(10, max)] } },
        axes: [
          { stroke: '#9aa4b2', grid: { stroke: '#222a36' } },
          { stroke: '#9aa4b2', grid: { stroke: '#222a36' }, label: 'events/s', splits: decades },
        ],
        series: [
          {},
          ...keys.map((k, i) => ({
            label: k,
            stroke: COLORS[i % COLORS.length] ?? '#fff',
            width: 2,
            points: { show: false },
          })),
        ],
        legend: { live: false },
      },
      [[], ...keys.map(() => [])],
      this.el,
    );
  }
}
