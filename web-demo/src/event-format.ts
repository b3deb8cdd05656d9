/**
 * Events are UTF-8 strings "source|routing key|sequence", the format of the Java interop peer
 * ("java|key-3|17"), so events from Java and from this page look alike. Anything else still
 * counts, under the key "(other)".
 */
export interface ParsedEvent {
  source: string;
  key: string;
  seq: number | undefined;
}

export function parseEvent(text: string): ParsedEvent {
  const [source, key, seq] = text.split('|');
  if (source === undefined || key === undefined || seq === undefined)
    return { source: '?', key: '(other)', seq: undefined };
  const n = Number(seq);
  return { source, key, seq: Number.isInteger(n) ? n : undefined };
}

export function formatEvent(source: string, key: string, seq: number): string {
  return `${source}|${key}|${seq}`;
}

/** Short random ids: a producer's source name, so sequences of two page loads never mix. */
export function shortId(): string {
  return crypto.randomUUID().slice(0, 6);
}
