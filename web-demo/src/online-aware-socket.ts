/**
 * The browser's WebSocket, aware of the browser's own idea of being online. Chromium keeps an
 * open WebSocket up when the network goes away (the socket only dies after TCP gives up, minutes
 * later), so a page would show "live" while nothing can flow. Here, the browser's `offline` event
 * closes every open socket at once and no socket opens while offline: the SDK then shows
 * "reconnecting", keeps unacknowledged writes to resend, and reconnects once the browser is back.
 */
export function onlineAwareWebSocket(Base: typeof WebSocket = WebSocket): typeof WebSocket {
  const open = new Set<WebSocket>();
  addEventListener('offline', () => {
    for (const ws of open) ws.close(4000, 'the browser went offline');
  });
  return class OnlineAwareWebSocket extends Base {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      if (!navigator.onLine) {
        this.close(4000, 'the browser is offline');
        return;
      }
      open.add(this);
      this.addEventListener('close', () => open.delete(this));
    }
  };
}
