/**
 * The browser's WebSocket, aware of the browser's own idea of being online. Chromium keeps an
 * open WebSocket up when the network goes away (the socket only dies after TCP gives up, minutes
 * later), so a page would show "live" while nothing can flow. Here, the browser's `offline` event
 * closes every open socket at once and no socket opens while offline: the SDK then shows
 * "reconnecting", keeps unacknowledged writes to resend, and reconnects once the browser is back.
 *
 * The page hears the close at once: while offline, the closing handshake may not complete, and the
 * browser's own `close` event then waits for its closing-handshake timeout (minutes in Chromium).
 * That late event is swallowed, so the SDK hears one close per socket.
 */
export function onlineAwareWebSocket(Base: typeof WebSocket = WebSocket): typeof WebSocket {
  const open = new Set<OnlineAwareWebSocket>();
  addEventListener('offline', () => {
    for (const ws of open) ws.dropOffline();
  });
  class OnlineAwareWebSocket extends Base {
    /** The close event this socket announced itself when the browser went offline. */
    private announcedClose: CloseEvent | undefined;

    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      if (!navigator.onLine) {
        this.close(4000, 'the browser is offline');
        return;
      }
      open.add(this);
      // Registered before any `onclose` the SDK sets, so it can stop the browser's late event.
      this.addEventListener('close', (ev) => {
        open.delete(this);
        if (this.announcedClose !== undefined && ev !== this.announcedClose) ev.stopImmediatePropagation();
      });
    }

    dropOffline(): void {
      if (this.announcedClose !== undefined) return;
      const reason = 'the browser went offline';
      this.close(4000, reason);
      this.announcedClose = new CloseEvent('close', { code: 4000, reason, wasClean: false });
      this.dispatchEvent(this.announcedClose);
    }
  }
  return OnlineAwareWebSocket;
}
