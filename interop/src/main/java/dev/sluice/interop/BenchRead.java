package dev.sluice.interop;

import io.pravega.client.EventStreamClientFactory;
import io.pravega.client.admin.ReaderGroupManager;
import io.pravega.client.stream.EventRead;
import io.pravega.client.stream.EventStreamReader;
import io.pravega.client.stream.ReaderConfig;
import io.pravega.client.stream.ReaderGroupConfig;
import io.pravega.client.stream.Stream;
import io.pravega.client.stream.StreamCut;
import io.pravega.client.stream.impl.ByteArraySerializer;
import java.util.UUID;

/**
 * bench-read --expect N [--to TEXT] [--warmup W]: catch-up read of history by one EventStreamReader
 * of a fresh reader group from the head (to the stream cut --to in StreamCut.asText() form, if
 * given), timed from the group's creation to the N-th event. First, untimed, another reader group
 * reads W events of the same stream in this JVM, so the JIT and connections are warm (the Sluice
 * side reads through a long-lived gateway). Prints
 * {"events":n,"bytes":b,"ms":…,"mbPerSec":…,"eventsPerSec":…}.
 */
final class BenchRead {
    private BenchRead() {}

    static void run(Args args) {
        long expect = args.number("expect", 0);
        if (expect <= 0) throw new IllegalArgumentException("--expect N is required");
        long warmup = Math.min(expect, args.number("warmup", 0));
        long timeoutMs = args.number("timeout-ms", 600_000);
        Stream stream = Stream.of(args.scope(), args.stream());
        StreamCut to = args.flag("to") ? StreamCut.from(args.require("to")) : StreamCut.UNBOUNDED;
        try (ReaderGroupManager groups = ReaderGroupManager.withScope(args.scope(), args.clientConfig());
             EventStreamClientFactory factory = EventStreamClientFactory.withScope(args.scope(), args.clientConfig())) {
            if (warmup > 0) read(groups, factory, stream, to, warmup, timeoutMs, false);
            read(groups, factory, stream, to, expect, timeoutMs, true);
        }
    }

    private static void read(ReaderGroupManager groups, EventStreamClientFactory factory, Stream stream, StreamCut to,
                             long expect, long timeoutMs, boolean report) {
        String group = "catchup-" + UUID.randomUUID().toString().replace("-", "");
        long started = System.nanoTime();
        double cpuStarted = ProcessCpu.ms();
        groups.createReaderGroup(group, ReaderGroupConfig.builder().stream(stream, StreamCut.UNBOUNDED, to).disableAutomaticCheckpoints().build());
        long count = 0;
        long bytes = 0;
        try (EventStreamReader<byte[]> reader = factory.createReader("reader", group, new ByteArraySerializer(), ReaderConfig.builder().build())) {
            long deadline = System.currentTimeMillis() + timeoutMs;
            while (count < expect) {
                if (System.currentTimeMillis() > deadline) throw new IllegalStateException("read " + count + " of " + expect + " events before the timeout");
                EventRead<byte[]> read = reader.readNextEvent(1000);
                byte[] event = read.getEvent();
                if (event == null) continue;
                count++;
                bytes += event.length;
            }
        } finally {
            double ms = (System.nanoTime() - started) / 1e6;
            double cpuMs = ProcessCpu.ms() - cpuStarted;
            if (report && count == expect) {
                System.out.println("{\"events\":" + count + ",\"bytes\":" + bytes + ",\"ms\":" + ms + ",\"cpuMs\":" + cpuMs
                        + ",\"mbPerSec\":" + (bytes / 1e6 / (ms / 1000)) + ",\"eventsPerSec\":" + (count / (ms / 1000)) + "}");
            }
            groups.deleteReaderGroup(group);
        }
    }
}
