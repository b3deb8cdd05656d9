package dev.sluice.interop;

import io.pravega.client.EventStreamClientFactory;
import io.pravega.client.stream.EventStreamWriter;
import io.pravega.client.stream.EventWriterConfig;
import io.pravega.client.stream.impl.UTF8StringSerializer;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * write-strings [--count N] [--seed S]: writes each of EdgeStrings' strings (fixed, then N random)
 * as one event with Pravega's UTF8StringSerializer, routed by the string itself, and prints per
 * string {"units": its UTF-16 units, "read": what UTF8StringSerializer reads back from the bytes
 * it wrote} (a lone surrogate is written as '?'), then {"written": n} once flushed.
 */
final class WriteStrings {
    private WriteStrings() {}

    static void run(Args args) {
        int count = (int) args.number("count", 200);
        long seed = args.number("seed", 31);
        List<String> strings = EdgeStrings.all(seed, count);
        UTF8StringSerializer serializer = new UTF8StringSerializer();
        StringBuilder out = new StringBuilder();
        try (EventStreamClientFactory factory = EventStreamClientFactory.withScope(args.scope(), args.clientConfig());
             EventStreamWriter<String> writer = factory.createEventWriter(args.stream(), serializer, EventWriterConfig.builder().build())) {
            CompletableFuture<Void> last = CompletableFuture.completedFuture(null);
            for (String s : strings) {
                last = writer.writeEvent(s, s);
                ByteBuffer bytes = serializer.serialize(s);
                out.append("{\"units\":\"").append(EdgeStrings.units(s)).append("\",\"read\":\"")
                   .append(EdgeStrings.units(serializer.deserialize(bytes))).append("\"}\n");
            }
            writer.flush();
            last.join();
        }
        System.out.print(out);
        System.out.println("{\"written\":" + strings.size() + "}");
    }
}
