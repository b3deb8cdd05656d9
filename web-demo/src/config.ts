/**
 * Where the dashboard connects and what it reads. The URL wins (?gateway=&scope=&stream=, so a
 * link or a test can point anywhere), then the build's environment (`./sluice start` sets it),
 * then the defaults of a local demo.
 */
const params = new URLSearchParams(location.search);

export const gatewayUrl: string = params.get('gateway') ?? import.meta.env.VITE_SLUICE_URL ?? 'ws://127.0.0.1:8080';
export const scope: string = params.get('scope') ?? import.meta.env.VITE_SLUICE_SCOPE ?? 'demo';

/**
 * A bearer token, from the fragment (#token=…): a fragment never leaves the browser, so the token
 * reaches the gateway only inside the WebSocket handshake (Sec-WebSocket-Protocol).
 */
export const token: string | undefined = new URLSearchParams(location.hash.slice(1)).get('token') ?? undefined;

const LAST_STREAM = `sluice.dashboard.stream.${scope}`;

/** The stream to show: ?stream=, else the one shown last in this browser, else "sensors". */
export function initialStream(): string {
  return params.get('stream') ?? localStorage.getItem(LAST_STREAM) ?? 'sensors';
}

export function rememberStream(stream: string): void {
  localStorage.setItem(LAST_STREAM, stream);
}

/** Navigates to the same page showing another stream (a fresh reader with its own checkpoint). */
export function showStream(stream: string): void {
  rememberStream(stream);
  const next = new URLSearchParams(location.search);
  next.set('stream', stream);
  location.search = next.toString();
}

const LAST_KVT = `sluice.dashboard.kvt.${scope}`;

/** The key-value table to open: ?kvt=, else the one opened last in this browser. */
export function initialKeyValueTable(): string | undefined {
  return params.get('kvt') ?? localStorage.getItem(LAST_KVT) ?? undefined;
}

export function rememberKeyValueTable(name: string): void {
  localStorage.setItem(LAST_KVT, name);
}
