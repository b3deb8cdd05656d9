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
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * bench-failover --rate R --seconds S [--keys K]: the Java side of the cluster recovery benchmark
 * (bench/workloads/cluster-recovery.ts). One EventStreamWriter writes open loop (event i is due at
 * start + i / R, on key "key-(i mod K)") while one EventStreamReader of a new reader group reads the
 * stream from its head, for S seconds, while the benchmark SIGKILLs a segment store. Prints
 * {"startedMs":epoch ms} once the reader holds its segments, then every 250 ms the new
 * acknowledgements {"acks":[[i, epoch ms],…]} and events read {"reads":[[i, epoch ms],…]}, and
 * {"ackErrors":n} when a write fails; the benchmark derives everything else from i.
 */
final class BenchFailover {
    private BenchFailover() {}

    static void run(Args args) throws Exception {
        double rate = args.number("rate", 200);
        long seconds = args.number("seconds", 120);
        int keys = (int) args.number("keys", 24);
        String[] keyNames = new String[keys];
        for (int i = 0; i < keys; i++) keyNames[i] = "key-" + i;
        Stream stream = Stream.of(args.scope(), args.stream());
        String group = "failover-" + UUID.randomUUID().toString().replace("-", "");
        ConcurrentLinkedQueue<long[]> acks = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<long[]> reads = new ConcurrentLinkedQueue<>();
        AtomicLong ackErrors = new AtomicLong();
        AtomicBoolean done = new AtomicBoolean();
        try (ReaderGroupManager groups = ReaderGroupManager.withScope(args.scope(), args.clientConfig())) {
            groups.createReaderGroup(group, ReaderGroupConfig.builder().stream(stream, StreamCut.UNBOUNDED).disableAutomaticCheckpoints().build());
            try (EventStreamClientFactory factory = EventStreamClientFactory.withScope(args.scope(), args.clientConfig());
                 EventStreamReader<byte[]> reader = factory.createReader("reader", group, new ByteArraySerializer(), ReaderConfig.builder().build());
                 EventStreamWriter<byte[]> writer = factory.createEventWriter(args.stream(), new ByteArraySerializer(), EventWriterConfig.builder().build())) {
                reader.readNextEvent(100); // takes the segments before anything is written
                long startNanos = System.nanoTime();
                long startMs = System.currentTimeMillis();
                long endNanos = startNanos + seconds * 1_000_000_000L;
                System.out.println("{\"startedMs\":" + startMs + "}");
                System.out.flush();
                Thread readerThread = new Thread(() -> {
                    while (!done.get()) {
                        try {
                            EventRead<byte[]> read = reader.readNextEvent(200);
                            byte[] event = read.getEvent();
                            if (event == null) continue;
                            String text = new String(event, StandardCharsets.UTF_8);
                            reads.add(new long[] {Long.parseLong(text.substring(text.lastIndexOf('|') + 1)), System.currentTimeMillis()});
                        } catch (Throwable t) {
                            System.err.println("reader: " + t);
                        }
                    }
                }, "failover-reader");
                readerThread.setDaemon(true);
                readerThread.start();
                Thread printer = new Thread(() -> {
                    long errorsShown = 0;
                    while (true) {
                        LockSupport.parkNanos(250_000_000L);
                        print("acks", acks);
                        print("reads", reads);
                        long e = ackErrors.get();
                        if (e != errorsShown) {
                            System.out.println("{\"ackErrors\":" + e + "}");
                            errorsShown = e;
                        }
                        System.out.flush();
                    }
                }, "failover-printer");
                printer.setDaemon(true);
                printer.start();
                for (long i = 0; System.nanoTime() < endNanos; i++) {
                    long due = startNanos + (long) (i * 1e9 / rate);
                    long wait = due - System.nanoTime();
                    if (wait > 50_000) LockSupport.parkNanos(wait);
                    final long seq = i;
                    byte[] payload = (keyNames[(int) (i % keys)] + "|java|" + i).getBytes(StandardCharsets.UTF_8);
                    writer.writeEvent(keyNames[(int) (i % keys)], payload).whenComplete((v, err) -> {
                        if (err != null) ackErrors.incrementAndGet();
                        else acks.add(new long[] {seq, System.currentTimeMillis()});
                    });
                }
                done.set(true);
                LockSupport.parkNanos(500_000_000L);
                print("acks", acks);
                print("reads", reads);
                System.out.println("{\"done\":true}");
                System.out.flush();
                Runtime.getRuntime().halt(0); // no waiting for writes still stuck on a dead store
            } finally {
                groups.deleteReaderGroup(group);
            }
        }
    }

    private static synchronized void print(String name, ConcurrentLinkedQueue<long[]> queue) {
        StringBuilder b = new StringBuilder();
        for (long[] r = queue.poll(); r != null; r = queue.poll()) {
            b.append(b.length() == 0 ? "" : ",").append('[').append(r[0]).append(',').append(r[1]).append(']');
        }
        if (b.length() > 0) System.out.println("{\"" + name + "\":[" + b + "]}");
    }
}
