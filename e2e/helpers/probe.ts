/**
 * What the pages report through `__sluiceProbe` (web-demo/src/probe.ts), collected across
 * reloads and tabs of one browser context.
 */
import type { BrowserContext } from '@playwright/test';

export interface DeliveredEvent {
  /** Events the page had counted before this one (its checkpointed count carries across reloads). */
  i: number;
  value: string;
  segment: string;
  offset: string;
}

export class Probe {
  /** Every delivery, in the order the pages reported them (a replay after a reload repeats indices). */
  readonly deliveries: DeliveredEvent[] = [];
  readonly checkpoints: Array<{ id: number; total: number }> = [];
  readonly resumes: Array<{ id: number; total: number }> = [];
  readonly acked: Array<{ source: string; key: string; seq: number }> = [];
  readonly reports: Array<{ kind: string; data: unknown }> = [];

  static async install(context: BrowserContext): Promise<Probe> {
    const probe = new Probe();
    await context.exposeFunction('__sluiceProbe', (kind: string, data: unknown) => probe.take(kind, data));
    return probe;
  }

  private take(kind: string, data: unknown): void {
    if (kind === 'events') this.deliveries.push(...(data as DeliveredEvent[]));
    else if (kind === 'checkpoint') this.checkpoints.push(data as { id: number; total: number });
    else if (kind === 'resumed') this.resumes.push(data as { id: number; total: number });
    else if (kind === 'acked') this.acked.push(data as { source: string; key: string; seq: number });
    this.reports.push({ kind, data });
  }

  count(kind: string): number {
    return this.reports.filter((r) => r.kind === kind).length;
  }

  /**
   * The events as the page's counts explain them: for each index the last delivery (a page that
   * reloaded re-delivers from its checkpointed count). Throws if two deliveries of one index
   * differ — that would mean the reload did not resume exactly where the checkpoint was.
   */
  effectiveEvents(): string[] {
    const byIndex = new Map<number, DeliveredEvent>();
    for (const d of this.deliveries) {
      const before = byIndex.get(d.i);
      if (before && (before.value !== d.value || before.segment !== d.segment || before.offset !== d.offset))
        throw new Error(
          `index ${d.i} was first ${before.value} @${before.segment}:${before.offset}, then ${d.value} @${d.segment}:${d.offset}`,
        );
      byIndex.set(d.i, d);
    }
    const out: string[] = [];
    for (let i = 0; i < byIndex.size; i++) {
      const d = byIndex.get(i);
      if (!d) throw new Error(`no event was delivered at index ${i} (of ${byIndex.size})`);
      out.push(d.value);
    }
    return out;
  }
}
