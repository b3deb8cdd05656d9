package dev.sluice.interop;

import io.pravega.client.EventStreamClientFactory;
import io.pravega.client.stream.EventStreamWriter;
import io.pravega.client.stream.EventWriterConfig;
import io.pravega.client.stream.impl.ByteArraySerializer;
import java.util.Arrays;

/**
 * bench-write --count N --size B [--keys K] [--warmup W]: acknowledged events/s of one
 * EventStreamWriter, from the first writeEvent to the end of flush(), as its last line (a line
 * {"timing":"started"} comes just before the timed part). W events are written and
 * flushed first on the same writer, untimed, so the JIT and connections are warm (the Sluice side
 * runs in a long-lived gateway, so a cold JVM would flatter it).
 */
final class BenchWrite {
    private BenchWrite() {}

    static void run(Args args) {
        long count = args.number("count", 100_000);
        int size = (int) args.number("size", 100);
        long keys = args.number("keys", 100);
        byte[] payload = new byte[size];
        Arrays.fill(payload, (byte) 'x');
        String[] keyNames = new String[(int) keys];
        for (int i = 0; i < keys; i++) keyNames[i] = "key-" + i;
        try (EventStreamClientFactory factory = EventStreamClientFactory.withScope(args.scope(), args.clientConfig());
             EventStreamWriter<byte[]> writer = factory.createEventWriter(args.stream(), new ByteArraySerializer(), EventWriterConfig.builder().build())) {
            long warmup = args.number("warmup", 20_000);
            for (long i = 0; i < warmup; i++) writer.writeEvent(keyNames[(int) (i % keys)], payload);
            writer.flush();
            // Tells a watcher (bench/p2-threads.ts) that the timed part starts now.
            System.out.println("{\"timing\":\"started\"}");
            System.out.flush();
            long started = System.nanoTime();
            double cpuStarted = ProcessCpu.ms();
            for (long i = 0; i < count; i++) writer.writeEvent(keyNames[(int) (i % keys)], payload);
            writer.flush();
            double ms = (System.nanoTime() - started) / 1e6;
            double cpuMs = ProcessCpu.ms() - cpuStarted;
            System.out.println("{\"events\":" + count + ",\"bytes\":" + (count * size) + ",\"ms\":" + ms + ",\"cpuMs\":" + cpuMs
                    + ",\"eventsPerSec\":" + (count / (ms / 1000)) + ",\"mbPerSec\":" + (count * size / 1e6 / (ms / 1000)) + "}");
        }
    }
}
