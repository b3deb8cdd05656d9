/**
 * The median every bench figure reports: for an even count, the mean of the two middle values
 * (the usual definition; picking one of them would lean the ratio towards one side).
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
