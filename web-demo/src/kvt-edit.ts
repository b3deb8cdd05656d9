/**
 * The key-value table panel's changes: put, insert, replace and remove of one key, and what each
 * outcome says to the user — the new version, or a conflict with the version the key has now
 * (the SDK's `conflict` error carries it), or an outcome the connection left unknown.
 */
import { type KeyValueTable, SluiceError } from '@sluice/sdk';

export type KvtOp = 'put' | 'insert' | 'replace' | 'remove';

export interface EditOutcome {
  kind: 'ok' | 'conflict' | 'error';
  text: string;
  /** After a success: the key's version now ('' when removed). After a conflict: its current version ('' if absent). */
  version?: string;
}

export async function applyEdit(
  kvt: KeyValueTable<string, string>,
  op: KvtOp,
  key: string,
  value: string,
  version: string,
): Promise<EditOutcome> {
  try {
    switch (op) {
      case 'put':
        return done(`put ${key}`, await kvt.put(key, value));
      case 'insert':
        return done(`inserted ${key}`, await kvt.insert(key, value));
      case 'replace':
        if (!version) return { kind: 'error', text: 'replace needs the version the key has (pick a row)' };
        return done(`replaced ${key}`, await kvt.replace(key, value, version));
      case 'remove':
        await kvt.remove(key, version ? { ifVersion: version } : {});
        return { kind: 'ok', text: `removed ${key}${version ? ` (it had version ${version})` : ''}`, version: '' };
    }
  } catch (err) {
    const e = SluiceError.from(err);
    if (e.code === 'conflict') {
      const current = e.currentVersion;
      return {
        kind: 'conflict',
        text: `conflict: ${op} of ${key} did not apply — ${current === undefined ? `${key} is absent now` : `${key} has version ${current} now`}`,
        version: current ?? '',
      };
    }
    if (e.code === 'outcome-unknown')
      return {
        kind: 'error',
        text: `${op} of ${key}: the outcome is unknown (read the key to find out) — ${e.message}`,
      };
    return { kind: 'error', text: `${op} of ${key} failed — ${e.code}: ${e.message}` };
  }
}

function done(what: string, version: string): EditOutcome {
  return { kind: 'ok', text: `${what} → version ${version}`, version };
}
