// Child: a fake gateway that acknowledges every append at once.
import { FakeGateway } from '../sdk/test/fake-gateway.js';
const g = await FakeGateway.start();
const orig = (g as any).onFrame.bind(g);
(g as any).onFrame = (ws: any, data: Buffer) => {
  orig(ws, data);
  const a = g.appends.pop();
  if (a) g.ack(a.firstSequence + BigInt(a.events.length) - 1n);
};
console.log(g.url);
