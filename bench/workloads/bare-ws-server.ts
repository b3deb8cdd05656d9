/**
 * P5's anchor: a bare `ws` server with nothing else in the process. It accepts subprotocol
 * sluice.v1, answers a client's first frame with one small frame (as the gateway answers Hello
 * with Welcome), and prints {"port":p}. Run with node --import tsx, as the gateway runs.
 */
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  perMessageDeflate: false,
  handleProtocols: () => 'sluice.v1',
});
wss.on('connection', (ws) => {
  ws.once('message', () => ws.send(new Uint8Array(16)));
});
wss.on('listening', () => {
  const address = wss.address();
  console.log(JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 }));
});
