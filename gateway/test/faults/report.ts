/**
 * Fault scenarios report their figures here; `pnpm faults` (scripts/faults.mjs) sets
 * SLUICE_FAULTS_REPORT and prints the table. Without it, nothing is written.
 */
import { appendFileSync } from 'node:fs';

export interface ScenarioRow {
  scenario: string;
  cycles: number;
  events: number;
  lostAcked: number;
  duplicate: number;
  reorderedWithinKey: number;
  abortedVisible: number;
  /** Neither acknowledged nor read (writes that failed or were never confirmed): allowed. */
  unseen: number;
}

export function reportScenario(row: ScenarioRow): void {
  const file = process.env.SLUICE_FAULTS_REPORT;
  if (file) appendFileSync(file, `${JSON.stringify(row)}\n`);
}
