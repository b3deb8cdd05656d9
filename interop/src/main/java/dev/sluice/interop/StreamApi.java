package dev.sluice.interop;

import io.pravega.client.EventStreamClientFactory;
import io.pravega.client.admin.ReaderGroupManager;
import io.pravega.client.admin.StreamManager;
import io.pravega.client.stream.EventPointer;
import io.pravega.client.stream.EventRead;
import io.pravega.client.stream.EventStreamReader;
import io.pravega.client.stream.EventStreamWriter;
import io.pravega.client.stream.EventWriterConfig;
import io.pravega.client.stream.ReaderConfig;
import io.pravega.client.stream.ReaderGroupConfig;
import io.pravega.client.stream.RetentionPolicy;
import io.pravega.client.stream.ScalingPolicy;
import io.pravega.client.stream.Stream;
import io.pravega.client.stream.StreamConfiguration;
import io.pravega.client.stream.TimeWindow;
import io.pravega.client.stream.Transaction;
import io.pravega.client.stream.TransactionInfo;
import io.pravega.client.stream.TransactionalEventStreamWriter;
import io.pravega.client.stream.impl.UTF8StringSerializer;
import io.pravega.shared.watermarks.SegmentWithRange;
import io.pravega.shared.watermarks.Watermark;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The stream API's Java side (issue 25), one subcommand each; every line printed is JSON:
 * <ul>
 * <li>txn-begin --count N [--prefix P]: begins a transaction, writes "P|i" (key k(i%3)), flushes; {"txnId":…}</li>
 * <li>txn-resume --txn ID --count N [--prefix P] [--commit]: getTxn(ID), writes, flushes, commits if asked; {"status":…}</li>
 * <li>completed-txns: listCompletedTransactions; {"txnId":…,"status":…} each</li>
 * <li>pointers [--idle-ms I]: reads everything visible; {"payload":…,"pointer":base64 toBytes,"text":toString} each</li>
 * <li>fetch-event --pointer B64: StreamManager.fetchEvent of EventPointer.fromBytes; {"payload":…}</li>
 * <li>stream-config [--tag T]: {"exists":…,"scopeExists":…,"tags":[…],"tagged":[streams of the scope with T]}</li>
 * <li>stream-update [--segments N] [--retention-ms M [--retention-max-ms X]] [--tags a,b]: updateStream (fixed scaling)</li>
 * <li>watermark-bytes: a Watermark serialized by Pravega's own code, as hex; {"hex":…}</li>
 * <li>note-time --count N --time T [--hold-ms H] [--prefix P]: writes N events, flushes, notes T (then T+1 … each
 *   second while holding, so the controller keeps it live); {"noted":T} after the first</li>
 * <li>time-window --until-lower T [--timeout-ms M]: reads from the head, printing {"lower":…,"upper":…,"events":n}
 *   whenever the window changes; stops once the lower bound reaches T</li>
 * </ul>
 */
final class StreamApi {
    private StreamApi() {}

    static void run(String command, Args args) throws Exception {
        switch (command) {
            case "txn-begin" -> txnBegin(args);
            case "txn-resume" -> txnResume(args);
            case "completed-txns" -> completedTxns(args);
            case "pointers" -> pointers(args);
            case "fetch-event" -> fetchEvent(args);
            case "stream-config" -> streamConfig(args);
            case "stream-update" -> streamUpdate(args);
            case "watermark-bytes" -> watermarkBytes();
            case "note-time" -> noteTime(args);
            case "time-window" -> timeWindow(args);
            default -> throw new IllegalArgumentException("unknown subcommand " + command);
        }
    }

    private static TransactionalEventStreamWriter<String> txnWriter(EventStreamClientFactory factory, Args args) {
        return factory.createTransactionalEventWriter("interop-" + UUID.randomUUID(), args.stream(), new UTF8StringSerializer(),
                EventWriterConfig.builder().transactionTimeoutTime(60_000).build());
    }

    private static void writeAll(Transaction<String> txn, Args args) throws Exception {
        long count = args.number("count", 10);
        String prefix = args.get("prefix", "java");
        for (long i = 0; i < count; i++) txn.writeEvent("k" + (i % 3), prefix + "|" + i);
        txn.flush();
    }

    private static void txnBegin(Args args) throws Exception {
        try (EventStreamClientFactory factory = EventStreamClientFactory.withScope(args.scope(), args.clientConfig());
             TransactionalEventStreamWriter<String> writer = txnWriter(factory, args)) {
            Transaction<String> txn = writer.beginTxn();
            writeAll(txn, args);
            System.out.println("{\"txnId\":\"" + txn.getTxnId() + "\"}");
        }
    }

    private static void txnResume(Args args) throws Exception {
        try (EventStreamClientFactory factory = EventStreamClientFactory.withScope(args.scope(), args.clientConfig());
             TransactionalEventStreamWriter<String> writer = txnWriter(factory, args)) {
            Transaction<String> txn = writer.getTxn(UUID.fromString(args.require("txn")));
            writeAll(txn, args);
            if (args.flag("commit")) txn.commit();
            System.out.println("{\"status\":\"" + txn.checkStatus() + "\"}");
        }
    }

    private static void completedTxns(Args args) {
        try (StreamManager manager = StreamManager.create(args.clientConfig())) {
            List<TransactionInfo> txns = manager.listCompletedTransactions(Stream.of(args.scope(), args.stream()));
            for (TransactionInfo t : txns) {
                System.out.println("{\"txnId\":\"" + t.getTransactionId() + "\",\"status\":\"" + t.getTransactionStatus() + "\"}");
            }
            System.out.println("{\"done\":true,\"count\":" + txns.size() + "}");
        }
    }

    private static void pointers(Args args) {
        long idleMs = args.number("idle-ms", 1500);
        Stream stream = Stream.of(args.scope(), args.stream());
        String group = "interop-" + UUID.randomUUID().toString().replace("-", "");
        try (ReaderGroupManager groups = ReaderGroupManager.withScope(args.scope(), args.clientConfig())) {
            groups.createReaderGroup(group, ReaderGroupConfig.builder().stream(stream).disableAutomaticCheckpoints().build());
            try (EventStreamClientFactory factory = EventStreamClientFactory.withScope(args.scope(), args.clientConfig());
                 EventStreamReader<String> reader = factory.createReader("reader", group, new UTF8StringSerializer(), ReaderConfig.builder().build())) {
                long lastEventAt = System.currentTimeMillis();
                while (System.currentTimeMillis() - lastEventAt < idleMs) {
                    EventRead<String> read = reader.readNextEvent(300);
                    if (read.getEvent() == null) continue;
                    lastEventAt = System.currentTimeMillis();
                    EventPointer p = read.getEventPointer();
                    System.out.println("{\"payload\":" + Json.str(read.getEvent()) + ",\"pointer\":\""
                            + Base64.getEncoder().encodeToString(bytes(p.toBytes())) + "\",\"text\":" + Json.str(p.toString()) + "}");
                }
            } finally {
                groups.deleteReaderGroup(group);
            }
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    private static void fetchEvent(Args args) {
        EventPointer pointer = EventPointer.fromBytes(ByteBuffer.wrap(Base64.getDecoder().decode(args.require("pointer"))));
        try (StreamManager manager = StreamManager.create(args.clientConfig())) {
            String payload = manager.fetchEvent(pointer, new UTF8StringSerializer()).join();
            System.out.println("{\"payload\":" + Json.str(payload) + ",\"text\":" + Json.str(pointer.toString()) + "}");
        }
    }

    private static void streamConfig(Args args) {
        try (StreamManager manager = StreamManager.create(args.clientConfig())) {
            boolean exists = manager.checkStreamExists(args.scope(), args.stream());
            StringBuilder out = new StringBuilder("{\"exists\":" + exists
                    + ",\"scopeExists\":" + manager.checkScopeExists(args.scope()) + ",\"tags\":[");
            if (exists) out.append(String.join(",", manager.getStreamTags(args.scope(), args.stream()).stream().map(Json::str).toList()));
            out.append("],\"tagged\":[");
            if (args.flag("tag")) {
                List<String> names = new ArrayList<>();
                for (Iterator<Stream> it = manager.listStreams(args.scope(), args.require("tag")); it.hasNext(); ) {
                    names.add(Json.str(it.next().getStreamName()));
                }
                out.append(String.join(",", names));
            }
            System.out.println(out.append("]}"));
        }
    }

    private static void streamUpdate(Args args) {
        StreamConfiguration.StreamConfigurationBuilder config = StreamConfiguration.builder()
                .scalingPolicy(ScalingPolicy.fixed((int) args.number("segments", 1)));
        if (args.flag("retention-ms")) {
            Duration min = Duration.ofMillis(args.number("retention-ms", 0));
            config.retentionPolicy(args.flag("retention-max-ms")
                    ? RetentionPolicy.byTime(min, Duration.ofMillis(args.number("retention-max-ms", 0)))
                    : RetentionPolicy.byTime(min));
        }
        if (args.flag("tags")) config.tags(Arrays.asList(args.require("tags").split(",")));
        try (StreamManager manager = StreamManager.create(args.clientConfig())) {
            System.out.println("{\"updated\":" + manager.updateStream(args.scope(), args.stream(), config.build()) + "}");
        }
    }

    private static void watermarkBytes() {
        Map<SegmentWithRange, Long> cut = new LinkedHashMap<>();
        cut.put(new SegmentWithRange(0L, 0.0, 0.5), 1234L);
        cut.put(new SegmentWithRange((1L << 32) | 3L, 0.5, 1.0), 70000L);
        Watermark mark = Watermark.builder().lowerTimeBound(1_700_000_000_000L).upperTimeBound(1_700_000_000_500L).streamCut(cut).build();
        System.out.println("{\"hex\":\"" + Json.hex(bytes(mark.toByteBuf())) + "\"}");
    }

    private static void noteTime(Args args) throws Exception {
        long count = args.number("count", 10);
        long time = args.number("time", System.currentTimeMillis());
        long holdMs = args.number("hold-ms", 0);
        String prefix = args.get("prefix", "java");
        try (EventStreamClientFactory factory = EventStreamClientFactory.withScope(args.scope(), args.clientConfig());
             EventStreamWriter<String> writer = factory.createEventWriter(args.stream(), new UTF8StringSerializer(), EventWriterConfig.builder().build())) {
            for (long i = 0; i < count; i++) writer.writeEvent("k" + (i % 3), prefix + "|" + i);
            writer.flush();
            writer.noteTime(time);
            System.out.println("{\"noted\":" + time + "}");
            long until = System.currentTimeMillis() + holdMs;
            for (long t = time + 1; System.currentTimeMillis() < until; t++) {
                Thread.sleep(1000);
                writer.noteTime(t);
            }
        }
    }

    private static void timeWindow(Args args) {
        long untilLower = args.number("until-lower", Long.MAX_VALUE);
        long timeoutMs = args.number("timeout-ms", 60_000);
        Stream stream = Stream.of(args.scope(), args.stream());
        String group = "interop-" + UUID.randomUUID().toString().replace("-", "");
        try (ReaderGroupManager groups = ReaderGroupManager.withScope(args.scope(), args.clientConfig())) {
            groups.createReaderGroup(group, ReaderGroupConfig.builder().stream(stream).disableAutomaticCheckpoints().build());
            try (EventStreamClientFactory factory = EventStreamClientFactory.withScope(args.scope(), args.clientConfig());
                 EventStreamReader<String> reader = factory.createReader("reader", group, new UTF8StringSerializer(), ReaderConfig.builder().build())) {
                long deadline = System.currentTimeMillis() + timeoutMs;
                long events = 0;
                String last = "";
                while (System.currentTimeMillis() < deadline) {
                    EventRead<String> read = reader.readNextEvent(500);
                    if (read.getEvent() != null) events++;
                    TimeWindow w = reader.getCurrentTimeWindow(stream);
                    String line = "{\"lower\":" + w.getLowerTimeBound() + ",\"upper\":" + w.getUpperTimeBound();
                    if (!line.equals(last)) {
                        System.out.println(line + ",\"events\":" + events + "}");
                        last = line;
                    }
                    if (w.getLowerTimeBound() != null && w.getLowerTimeBound() >= untilLower) return;
                }
                throw new IllegalStateException("no time window with a lower bound of " + untilLower + " within " + timeoutMs + " ms");
            } finally {
                groups.deleteReaderGroup(group);
            }
        }
    }
}
