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
  /** Called on each report as it arrives (e.g. to reload a page at a precise moment). */
  onReport: ((kind: string, data: unknown) => void) | undefined;

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
    this.onReport?.(kind, data);
  }

  count(kind: string): number {
    return this.reports.filter((r) => r.kind === kind).length;
  }

  /**
   * The events as the pages' counts explain them. Each page load is a session that resumed at
   * the count of a checkpoint; of its deliveries, those below the count the next session resumed
   * from are the ones that checkpoint covers (the rest were read again after the reload, possibly
   * in another interleaving of segments). Throws on a hole or an overlap in the counts.
   */
  effectiveEvents(): string[] {
    const sessions: Array<{ start: number; events: DeliveredEvent[] }> = [];
    for (const r of this.reports) {
      if (r.kind === 'resumed') sessions.push({ start: (r.data as { total: number }).total, events: [] });
      else if (r.kind === 'events') sessions.at(-1)?.events.push(...(r.data as DeliveredEvent[]));
    }
    const out: string[] = [];
    sessions.forEach((s, n) => {
      const end = sessions[n + 1]?.start ?? Number.POSITIVE_INFINITY;
      const covered = s.events.filter((e) => e.i < end);
      covered.forEach((e, k) => {
        if (e.i !== s.start + k) throw new Error(`page load ${n} delivered index ${e.i} where ${s.start + k} was due`);
      });
      if (end !== Number.POSITIVE_INFINITY && s.start + covered.length !== end)
        throw new Error(`page load ${n} delivered up to ${s.start + covered.length}, the next resumed at ${end}`);
      if (out.length !== s.start) throw new Error(`page load ${n} resumed at ${s.start} after ${out.length} events`);
      out.push(...covered.map((e) => e.value));
    });
    return out;
  }
}
