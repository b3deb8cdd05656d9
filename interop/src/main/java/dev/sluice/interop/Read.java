package dev.sluice.interop;

import io.pravega.client.EventStreamClientFactory;
import io.pravega.client.admin.ReaderGroupManager;
import io.pravega.client.stream.EventRead;
import io.pravega.client.stream.EventStreamReader;
import io.pravega.client.stream.ReaderConfig;
import io.pravega.client.stream.ReaderGroupConfig;
import io.pravega.client.stream.Stream;
import io.pravega.client.stream.impl.ByteArraySerializer;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * read --expect N [--timeout-ms T] [--drain-ms D] [--idle-ms I]: reads from the head with a fresh
 * reader group and prints each event; after N events it keeps reading for D ms more, so extra
 * (duplicate) events are seen too; with I it stops after I ms without a new event (to read
 * "everything visible now"). Prints {"done":true,"count":n} last.
 */
final class Read {
    private Read() {}

    static void run(Args args) {
        long expect = args.number("expect", Long.MAX_VALUE);
        long timeoutMs = args.number("timeout-ms", 120_000);
        long drainMs = args.number("drain-ms", 2_000);
        String group = "interop-" + UUID.randomUUID().toString().replace("-", "");
        try (ReaderGroupManager groups = ReaderGroupManager.withScope(args.scope(), args.clientConfig())) {
            groups.createReaderGroup(group, ReaderGroupConfig.builder().stream(Stream.of(args.scope(), args.stream())).disableAutomaticCheckpoints().build());
            try (EventStreamClientFactory factory = EventStreamClientFactory.withScope(args.scope(), args.clientConfig());
                 EventStreamReader<byte[]> reader = factory.createReader("reader", group, new ByteArraySerializer(), ReaderConfig.builder().build())) {
                long deadline = System.currentTimeMillis() + timeoutMs;
                long count = 0;
                long drainUntil = Long.MAX_VALUE;
                long idleMs = args.number("idle-ms", Long.MAX_VALUE);
                long lastEventAt = System.currentTimeMillis();
                StringBuilder out = new StringBuilder();
                while (System.currentTimeMillis() < Math.min(deadline, drainUntil)) {
                    EventRead<byte[]> read = reader.readNextEvent(500);
                    byte[] event = read.getEvent();
                    if (event == null) {
                        if (System.currentTimeMillis() - lastEventAt > idleMs) break;
                        continue;
                    }
                    lastEventAt = System.currentTimeMillis();
                    count++;
                    out.append("{\"payload\":").append(Json.str(new String(event, StandardCharsets.UTF_8)))
                       .append(",\"hex\":\"").append(Json.hex(event)).append("\"}\n");
                    if (out.length() > 1 << 20) {
                        System.out.print(out);
                        out.setLength(0);
                    }
                    if (count == expect) drainUntil = System.currentTimeMillis() + drainMs;
                }
                System.out.print(out);
                System.out.println("{\"done\":true,\"count\":" + count + "}");
            } finally {
                groups.deleteReaderGroup(group);
            }
        }
    }
}
