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
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * read-bounded --from TEXT --to TEXT [--idle-ms I]: Java's own bounded read between two stream
 * cuts given in StreamCut.asText() form; prints each event, then {"done":true,"count":n}.
 */
final class ReadBounded {
    private ReadBounded() {}

    static void run(Args args) {
        StreamCut from = StreamCut.from(args.require("from"));
        StreamCut to = StreamCut.from(args.require("to"));
        long idleMs = args.number("idle-ms", 3000);
        String group = "bounded-" + UUID.randomUUID().toString().replace("-", "");
        try (ReaderGroupManager groups = ReaderGroupManager.withScope(args.scope(), args.clientConfig())) {
            groups.createReaderGroup(group, ReaderGroupConfig.builder().stream(Stream.of(args.scope(), args.stream()), from, to).disableAutomaticCheckpoints().build());
            try (EventStreamClientFactory factory = EventStreamClientFactory.withScope(args.scope(), args.clientConfig());
                 EventStreamReader<byte[]> reader = factory.createReader("reader", group, new ByteArraySerializer(), ReaderConfig.builder().build())) {
                long count = 0;
                long lastEventAt = System.currentTimeMillis();
                StringBuilder out = new StringBuilder();
                while (System.currentTimeMillis() - lastEventAt < idleMs) {
                    EventRead<byte[]> read = reader.readNextEvent(500);
                    if (read.getEvent() == null) continue;
                    lastEventAt = System.currentTimeMillis();
                    count++;
                    out.append("{\"payload\":").append(Json.str(new String(read.getEvent(), StandardCharsets.UTF_8))).append("}\n");
                }
                System.out.print(out);
                System.out.println("{\"done\":true,\"count\":" + count + "}");
            } finally {
                groups.deleteReaderGroup(group);
            }
        }
    }
}
