/**
 * The connection as it is: connecting, live, reconnecting (with the error that caused it), or an
 * error with its code. Never shows "live" unless the gateway's Welcome arrived.
 */
import { connect, type SluiceClient, SluiceError } from '@sluice/sdk';
import { onlineAwareWebSocket } from './online-aware-socket.js';

export type Shown = 'connecting' | 'live' | 'reconnecting' | 'error';

export class ConnectionBadge {
  shown: Shown = 'connecting';

  constructor(
    private readonly el: HTMLElement,
    private readonly url: string,
    private readonly token?: string,
  ) {
    this.show('connecting', `connecting to ${url}…`);
  }

  show(state: Shown, detail: string): void {
    this.shown = state;
    this.el.dataset.state = state;
    this.el.textContent = '';
    const dot = document.createElement('span');
    dot.className = 'dot';
    const label = document.createElement('strong');
    label.textContent = state;
    const text = document.createElement('span');
    text.className = 'detail';
    text.textContent = detail;
    this.el.append(dot, label, text);
  }

  /** Follows a client's state changes from now on. */
  follow(client: SluiceClient): void {
    this.show('live', this.url);
    client.onStateChange((state, error) => {
      if (state === 'live') this.show('live', this.url);
      else if (state === 'reconnecting')
        this.show('reconnecting', error ? `${error.code}: ${error.message}` : 'connection lost');
      else if (state === 'closed') this.show('error', error ? `${error.code}: ${error.message}` : 'closed');
    });
  }

  /**
   * Connects, retrying (and saying so) until the gateway answers — unless it refused for good
   * (a token it does not take, a protocol it does not speak): then the badge says why and the
   * promise rejects.
   */
  async connect(scope: string): Promise<SluiceClient> {
    for (let attempt = 1; ; attempt++) {
      try {
        const client = await connect({
          url: this.url,
          scope,
          name: 'sluice web dashboard',
          ...(this.token ? { token: this.token } : {}),
          WebSocket: onlineAwareWebSocket(),
          reconnect: { baseMs: 200, maxMs: 3000 },
        });
        this.follow(client);
        return client;
      } catch (err) {
        const e = SluiceError.from(err);
        if (!e.retriable) {
          this.show('error', `${e.code}: ${e.message}`);
          throw e;
        }
        const waitMs = Math.min(10_000, 500 * 2 ** Math.min(attempt, 5));
        this.show('error', `${e.code}: ${e.message} — retrying in ${Math.round(waitMs / 1000)} s (attempt ${attempt})`);
        await new Promise((r) => setTimeout(r, waitMs));
        this.show('connecting', `connecting to ${this.url}… (attempt ${attempt + 1})`);
      }
    }
  }
}
