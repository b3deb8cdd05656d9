/**
 * The fault checker (Jepsen's queue checker, for streams): every payload is unique
 * ("<key>|<writer>|<seq>"); after the faults heal, a final read of everything is compared with
 * what was acknowledged. Writes whose outcome was never known are kept apart and never counted
 * as acknowledged.
 */
export interface CheckResult {
  lostAcked: string[];
  duplicate: string[];
  reorderedWithinKey: string[];
  /** Neither acknowledged nor read: allowed (their writes failed or were never confirmed). */
  unseen: number;
  read: number;
}

export function check(attempted: readonly string[], acked: ReadonlySet<string>, read: readonly string[]): CheckResult {
  const counts = new Map<string, number>();
  for (const p of read) counts.set(p, (counts.get(p) ?? 0) + 1);
  const lastSeq = new Map<string, number>();
  const reordered: string[] = [];
  for (const p of read) {
    const [key, writer, seq] = p.split('|') as [string, string, string];
    const k = `${key}|${writer}`;
    if (Number(seq) <= (lastSeq.get(k) ?? -1)) reordered.push(p);
    lastSeq.set(k, Number(seq));
  }
  return {
    lostAcked: [...acked].filter((p) => !counts.has(p)),
    duplicate: [...counts].filter(([, n]) => n > 1).map(([p]) => p),
    reorderedWithinKey: reordered,
    unseen: attempted.filter((p) => !acked.has(p) && !counts.has(p)).length,
    read: read.length,
  };
}
