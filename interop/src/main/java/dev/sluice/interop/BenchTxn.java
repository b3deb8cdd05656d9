package dev.sluice.interop;

import io.pravega.client.EventStreamClientFactory;
import io.pravega.client.stream.EventWriterConfig;
import io.pravega.client.stream.Transaction;
import io.pravega.client.stream.TransactionalEventStreamWriter;
import io.pravega.client.stream.impl.ByteArraySerializer;
import java.util.Arrays;

/**
 * bench-txn --txns N --events E --size B [--warmup W]: transactions of E events, one after the
 * other, with Pravega's TransactionalEventStreamWriter; each counts when Pravega reports it
 * COMMITTED (the same point at which Sluice's commit() resolves). Prints commits/s and events/s.
 */
final class BenchTxn {
    private BenchTxn() {}

    static void run(Args args) throws Exception {
        long txns = args.number("txns", 50);
        int events = (int) args.number("events", 100);
        int size = (int) args.number("size", 100);
        long warmup = args.number("warmup", 5);
        byte[] payload = new byte[size];
        Arrays.fill(payload, (byte) 'x');
        try (EventStreamClientFactory factory = EventStreamClientFactory.withScope(args.scope(), args.clientConfig());
             TransactionalEventStreamWriter<byte[]> writer = factory.createTransactionalEventWriter("bench-" + System.nanoTime(), args.stream(),
                     new ByteArraySerializer(), EventWriterConfig.builder().transactionTimeoutTime(60_000).build())) {
            for (long i = 0; i < warmup; i++) commitOne(writer, events, payload);
            long started = System.nanoTime();
            for (long i = 0; i < txns; i++) commitOne(writer, events, payload);
            double ms = (System.nanoTime() - started) / 1e6;
            System.out.println("{\"txns\":" + txns + ",\"events\":" + (txns * events) + ",\"ms\":" + ms
                    + ",\"commitsPerSec\":" + (txns / (ms / 1000)) + ",\"eventsPerSec\":" + (txns * events / (ms / 1000)) + "}");
        }
    }

    private static void commitOne(TransactionalEventStreamWriter<byte[]> writer, int events, byte[] payload) throws Exception {
        Transaction<byte[]> txn = writer.beginTxn();
        for (int e = 0; e < events; e++) txn.writeEvent("key-" + (e % 10), payload);
        txn.commit();
        while (txn.checkStatus() != Transaction.Status.COMMITTED) Thread.sleep(1);
    }
}
