package dev.sluice.interop;

import io.pravega.client.EventStreamClientFactory;
import io.pravega.client.admin.ReaderGroupManager;
import io.pravega.client.stream.EventRead;
import io.pravega.client.stream.EventStreamReader;
import io.pravega.client.stream.ReaderConfig;
import io.pravega.client.stream.ReaderGroup;
import io.pravega.client.stream.ReaderGroupConfig;
import io.pravega.client.stream.Stream;
import io.pravega.client.stream.StreamCut;
import io.pravega.client.stream.impl.UTF8StringSerializer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Java reader groups that subscribe to a stream's retention (ReaderGroupConfig.retentionType):
 * <ul>
 * <li>rg-subscribe --group G --read N: creates G reading the stream from its head with
 *   AUTOMATIC_RELEASE_AT_LAST_CHECKPOINT (no automatic checkpoints), reads N events with one
 *   reader, checkpoints there (a few events later if the reader reads on before it sees the checkpoint) (the reader reads on once, which publishes the checkpoint's cut to
 *   the controller) and leaves the group in place; {"read":[…],"cut":text of the checkpoint's cut}</li>
 * <li>rg-delete --group G: ReaderGroupManager.deleteReaderGroup; {"deleted":G}</li>
 * </ul>
 */
final class GroupRetention {
    private GroupRetention() {}

    static void run(String command, Args args) throws Exception {
        switch (command) {
            case "rg-subscribe" -> subscribe(args);
            case "rg-delete" -> delete(args);
            default -> throw new IllegalArgumentException("unknown subcommand " + command);
        }
    }

    private static void subscribe(Args args) throws Exception {
        String group = args.require("group");
        long n = args.number("read", 1);
        Stream stream = Stream.of(args.scope(), args.stream());
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
        try (ReaderGroupManager groups = ReaderGroupManager.withScope(args.scope(), args.clientConfig())) {
            groups.createReaderGroup(group, ReaderGroupConfig.builder().stream(stream).disableAutomaticCheckpoints().groupRefreshTimeMillis(100)
                    .retentionType(ReaderGroupConfig.StreamDataRetention.AUTOMATIC_RELEASE_AT_LAST_CHECKPOINT).build());
            try (ReaderGroup rg = groups.getReaderGroup(group);
                 EventStreamClientFactory factory = EventStreamClientFactory.withScope(args.scope(), args.clientConfig());
                 EventStreamReader<String> reader = factory.createReader("reader", group, new UTF8StringSerializer(),
                         ReaderConfig.builder().build())) {
                StringBuilder read = new StringBuilder();
                for (long got = 0; got < n; ) {
                    EventRead<String> ev = reader.readNextEvent(1_000);
                    if (ev.getEvent() == null) continue;
                    read.append(got++ == 0 ? "" : ",").append(Json.str(ev.getEvent()));
                }
                CompletableFuture<io.pravega.client.stream.Checkpoint> done = rg.initiateCheckpoint("retention", executor);
                // The reader sees the checkpoint at its next refresh of the group's state (events
                // before it count as read); the read after it completes the checkpoint and
                // publishes its cut (ReaderGroupStateManager.updateTruncationStreamCutIfNeeded).
                for (EventRead<String> ev = reader.readNextEvent(1_000); !ev.isCheckpoint(); ev = reader.readNextEvent(1_000)) {
                    if (ev.getEvent() != null) read.append(",").append(Json.str(ev.getEvent()));
                }
                reader.readNextEvent(1_000);
                Map<Stream, StreamCut> cuts = done.get(60, TimeUnit.SECONDS).asImpl().getPositions();
                System.out.println("{\"read\":[" + read + "],\"cut\":" + Json.str(cuts.get(stream).asText()) + "}");
            }
        } finally {
            executor.shutdownNow();
        }
    }

    private static void delete(Args args) {
        String group = args.require("group");
        try (ReaderGroupManager groups = ReaderGroupManager.withScope(args.scope(), args.clientConfig())) {
            groups.deleteReaderGroup(group);
        }
        System.out.println("{\"deleted\":" + Json.str(group) + "}");
    }
}
