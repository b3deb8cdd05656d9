package dev.sluice.interop;

import io.pravega.client.EventStreamClientFactory;
import io.pravega.client.admin.ReaderGroupManager;
import io.pravega.client.admin.StreamManager;
import io.pravega.client.segment.impl.Segment;
import io.pravega.client.stream.EventPointer;
import io.pravega.client.stream.EventRead;
import io.pravega.client.stream.EventStreamReader;
import io.pravega.client.stream.ReaderConfig;
import io.pravega.client.stream.ReaderGroupConfig;
import io.pravega.client.stream.Stream;
import io.pravega.client.stream.StreamCut;
import io.pravega.client.stream.impl.ByteArraySerializer;
import io.pravega.client.stream.impl.EventPointerImpl;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * read [--expect N] [--timeout-ms T] [--drain-ms D] [--idle-ms I] [--from-tail]: reads with a
 * fresh reader group from the head (or from the tail at start-up, printing {"ready":true} once the
 * reader is in place) and prints each event as
 * {"payload":…,"hex":…,"segment":"scope/stream/n.#epoch.e","segmentId":"…","offset":…}. After N events it keeps
 * reading for D ms more, so that extra (duplicate) events are seen too; with I it stops after
 * I ms without a new event (to read "everything visible now"). Prints {"done":true,"count":n} last.
 */
final class Read {
    private static final Method SEGMENT = accessible("getSegment");
    private static final Method OFFSET = accessible("getEventStartOffset");

    private Read() {}

    static void run(Args args) throws Exception {
        long expect = args.number("expect", Long.MAX_VALUE);
        long timeoutMs = args.number("timeout-ms", 120_000);
        long drainMs = args.number("drain-ms", 2_000);
        long idleMs = args.number("idle-ms", Long.MAX_VALUE);
        Stream stream = Stream.of(args.scope(), args.stream());
        String group = "interop-" + UUID.randomUUID().toString().replace("-", "");
        try (ReaderGroupManager groups = ReaderGroupManager.withScope(args.scope(), args.clientConfig())) {
            groups.createReaderGroup(group, ReaderGroupConfig.builder().stream(stream, start(args, stream)).disableAutomaticCheckpoints().build());
            try (EventStreamClientFactory factory = EventStreamClientFactory.withScope(args.scope(), args.clientConfig());
                 EventStreamReader<byte[]> reader = factory.createReader("reader", group, new ByteArraySerializer(), ReaderConfig.builder().build())) {
                // A tail reader's caller must know when the tail has been taken before it writes.
                if (args.flag("from-tail")) System.out.println("{\"ready\":true}");
                long deadline = System.currentTimeMillis() + timeoutMs;
                long count = 0;
                long drainUntil = Long.MAX_VALUE;
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
                       .append(",\"hex\":\"").append(Json.hex(event)).append('"');
                    appendLocation(out, read.getEventPointer());
                    out.append("}\n");
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

    private static StreamCut start(Args args, Stream stream) {
        if (!args.flag("from-tail")) return StreamCut.UNBOUNDED;
        try (StreamManager manager = StreamManager.create(args.clientConfig())) {
            return manager.fetchStreamInfo(stream.getScope(), stream.getStreamName()).join().getTailStreamCut();
        }
    }

    // The event pointer knows the segment and offset of each event, but its accessors are
    // package-private in 0.13; reflection is the cheap way to show them.
    private static Method accessible(String name) {
        try {
            Method m = EventPointerImpl.class.getDeclaredMethod(name);
            m.setAccessible(true);
            return m;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    private static void appendLocation(StringBuilder out, EventPointer pointer) throws ReflectiveOperationException {
        if (SEGMENT == null || OFFSET == null || !(pointer instanceof EventPointerImpl)) return;
        Segment segment = (Segment) SEGMENT.invoke(pointer);
        out.append(",\"segment\":").append(Json.str(segment.getScopedName()))
           .append(",\"segmentId\":\"").append(segment.getSegmentId()).append('"')
           .append(",\"offset\":").append((long) OFFSET.invoke(pointer));
    }
}
