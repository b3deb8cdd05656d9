/**
 * A child process of bench/sdk-writer-cpu.ts: a fake gateway that acknowledges every append as
 * it arrives, with the real gateway's default window (8 MiB). Prints its URL, then serves until
 * killed. Apart from the measured process, so that its CPU is not counted.
 */
import { FakeGateway } from '../sdk/test/fake-gateway.js';

const sink = await FakeGateway.start();
sink.autoAck = true;
sink.keepAppends = false;
sink.maxInflightBytes = 8 * 1024 * 1024;
console.log(sink.url);
