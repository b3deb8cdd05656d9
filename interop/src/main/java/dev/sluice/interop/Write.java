package dev.sluice.interop;

import io.pravega.client.EventStreamClientFactory;
import io.pravega.client.stream.EventStreamWriter;
import io.pravega.client.stream.EventWriterConfig;
import io.pravega.client.stream.impl.UTF8StringSerializer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * write --count N --keys K [--prefix P] [--size B]: event i is "P|key-(i%K)|i" (padded with 'x'
 * to B UTF-8 bytes when B is given) with routing key key-(i%K); flushes, then prints
 * {"written":N,"ms":…,"eventsPerSec":…}.
 */
final class Write {
    private Write() {}

    static void run(Args args) {
        long count = args.number("count", 1000);
        long keys = args.number("keys", 10);
        String prefix = args.get("prefix", "java");
        int size = (int) args.number("size", 0);
        try (EventStreamClientFactory factory = EventStreamClientFactory.withScope(args.scope(), args.clientConfig());
             EventStreamWriter<String> writer = factory.createEventWriter(args.stream(), new UTF8StringSerializer(), EventWriterConfig.builder().build())) {
            long started = System.nanoTime();
            CompletableFuture<Void> last = CompletableFuture.completedFuture(null);
            for (long i = 0; i < count; i++) {
                String key = "key-" + (i % keys);
                last = writer.writeEvent(key, pad(prefix + "|" + key + "|" + i, size));
            }
            writer.flush();
            last.join();
            double ms = (System.nanoTime() - started) / 1e6;
            System.out.println("{\"written\":" + count + ",\"ms\":" + ms + ",\"eventsPerSec\":" + (count / (ms / 1000)) + "}");
        }
    }

    static String pad(String payload, int size) {
        int missing = size - payload.getBytes(StandardCharsets.UTF_8).length;
        return missing > 0 ? payload + "x".repeat(missing) : payload;
    }
}
