package dev.sluice.interop;

import io.pravega.client.EventStreamClientFactory;
import io.pravega.client.admin.ReaderGroupManager;
import io.pravega.client.stream.EventRead;
import io.pravega.client.stream.EventStreamReader;
import io.pravega.client.stream.EventStreamWriter;
import io.pravega.client.stream.EventWriterConfig;
import io.pravega.client.stream.ReaderConfig;
import io.pravega.client.stream.ReaderGroupConfig;
import io.pravega.client.stream.Stream;
import io.pravega.client.stream.StreamCut;
import io.pravega.client.stream.impl.ByteArraySerializer;
import java.nio.ByteBuffer;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * bench-latency --rate R --seconds S [--warmup-seconds W] [--size B] [--keys K]: write→read
 * latency of one EventStreamWriter and one EventStreamReader in this JVM, open loop: event i is
 * due at start + i / R and its latency is measured from that intended time to the moment the
 * reader returns it, so a stalled writer is charged for every event it delayed (coordinated
 * omission corrected). Events of the first W seconds are not recorded. Prints
 * {"p50Ms":…,"p99Ms":…,"p999Ms":…,"maxMs":…,"count":n,"rate":R,"sentPerSec":…}.
 */
final class BenchLatency {
    private BenchLatency() {}

    static void run(Args args) throws Exception {
        double rate = args.number("rate", 10_000);
        long seconds = args.number("seconds", 10);
        long warmupSeconds = args.number("warmup-seconds", 2);
        int size = Math.max(16, (int) args.number("size", 100));
        int keys = (int) args.number("keys", 100);
        long total = (long) (rate * (seconds + warmupSeconds));
        long warmup = (long) (rate * warmupSeconds);
        String[] keyNames = new String[keys];
        for (int i = 0; i < keys; i++) keyNames[i] = "key-" + i;
        Stream stream = Stream.of(args.scope(), args.stream());
        String group = "latency-" + UUID.randomUUID().toString().replace("-", "");
        Histogram histogram = new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
        try (ReaderGroupManager groups = ReaderGroupManager.withScope(args.scope(), args.clientConfig())) {
            groups.createReaderGroup(group, ReaderGroupConfig.builder().stream(stream, StreamCut.UNBOUNDED).disableAutomaticCheckpoints().build());
            try (EventStreamClientFactory factory = EventStreamClientFactory.withScope(args.scope(), args.clientConfig());
                 EventStreamReader<byte[]> reader = factory.createReader("reader", group, new ByteArraySerializer(), ReaderConfig.builder().build());
                 EventStreamWriter<byte[]> writer = factory.createEventWriter(args.stream(), new ByteArraySerializer(), EventWriterConfig.builder().build())) {
                reader.readNextEvent(100); // takes the segments before anything is written
                long[] start = {0};
                long[] received = {0};
                Throwable[] failure = {null};
                Thread readerThread = new Thread(() -> {
                    try {
                        long deadline = Long.MAX_VALUE;
                        while (received[0] < total && System.nanoTime() < deadline) {
                            EventRead<byte[]> read = reader.readNextEvent(200);
                            byte[] event = read.getEvent();
                            if (event == null) continue;
                            long now = System.nanoTime();
                            long seq = ByteBuffer.wrap(event).getLong();
                            received[0]++;
                            if (seq >= warmup) {
                                long intended = start[0] + (long) (seq * 1e9 / rate);
                                histogram.recordValue(Math.max(0, (now - intended) / 1000));
                            }
                            if (received[0] == 1) deadline = now + TimeUnit.SECONDS.toNanos(seconds + warmupSeconds + 120);
                        }
                    } catch (Throwable t) {
                        failure[0] = t;
                    }
                }, "bench-reader");
                byte[] payload = new byte[size];
                ByteBuffer buffer = ByteBuffer.wrap(payload);
                start[0] = System.nanoTime();
                readerThread.start();
                for (long i = 0; i < total; i++) {
                    long due = start[0] + (long) (i * 1e9 / rate);
                    long wait = due - System.nanoTime();
                    if (wait > 50_000) LockSupport.parkNanos(wait);
                    buffer.putLong(0, i);
                    writer.writeEvent(keyNames[(int) (i % keys)], payload.clone());
                }
                double sentSeconds = (System.nanoTime() - start[0]) / 1e9;
                writer.flush();
                readerThread.join();
                if (failure[0] != null) throw new RuntimeException(failure[0]);
                if (received[0] < total) throw new IllegalStateException("read " + received[0] + " of " + total + " events");
                System.out.println("{\"p50Ms\":" + histogram.getValueAtPercentile(50) / 1000.0
                        + ",\"p99Ms\":" + histogram.getValueAtPercentile(99) / 1000.0
                        + ",\"p999Ms\":" + histogram.getValueAtPercentile(99.9) / 1000.0
                        + ",\"maxMs\":" + histogram.getMaxValue() / 1000.0
                        + ",\"count\":" + histogram.getTotalCount() + ",\"rate\":" + rate
                        + ",\"sentPerSec\":" + (total / sentSeconds) + "}");
            } finally {
                groups.deleteReaderGroup(group);
            }
        }
    }
}
