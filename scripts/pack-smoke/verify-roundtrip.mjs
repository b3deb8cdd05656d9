/**
 * Checks what roundtrip.js wrote and read back: the same events, each once, in order per routing
 * key, from the SDK version expected. Shared by the pack and container smoke tests.
 *
 * @param {{ version: string, sent: string[], received: string[] }} result
 * @param {string} version
 * @returns {string} a summary line
 */
export function verifyRoundtrip(result, version) {
  const check = (condition, message) => {
    if (!condition) throw new Error(message);
  };
  check(result.version === version, `SDK_VERSION ${result.version}, package.json says ${version}`);
  check(result.received.length === result.sent.length, `sent ${result.sent.length}, read ${result.received.length}`);
  check(new Set(result.received).size === result.received.length, 'an event was read twice');
  const perKey = (events) => {
    const out = {};
    for (const e of events) {
      const key = e.split('|')[1];
      out[key] = [...(out[key] ?? []), e];
    }
    return JSON.stringify(Object.entries(out).sort());
  };
  check(perKey(result.received) === perKey(result.sent), 'events lost, changed or out of order within a key');
  return `${result.received.length} events written and read back`;
}
