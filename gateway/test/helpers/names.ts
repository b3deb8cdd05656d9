/** Unique scope/stream names per test, valid for Pravega ([A-Za-z0-9.-]). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
