package dev.sluice.interop;

import java.util.Arrays;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The Java peer of Sluice's interop tests and benchmarks, on Pravega's own client (0.13.0).
 * Every subcommand prints JSON lines on stdout (diagnostics go to stderr) and exits non-zero
 * with a one-line error on failure.
 */
public final class Main {
    public static void main(String[] argv) {
        if (argv.length == 0) {
            System.err.println("usage: <create-stream|write|read|route|bench-write|bench-txn|bench-latency|bench-read|cut|read-bounded|read-batch|parse-cut|serve-cuts>"
                    + " --controller tcp://h:p --scope S --stream T ...");
            System.exit(2);
        }
        Args args = new Args(Arrays.copyOfRange(argv, 1, argv.length));
        try {
            switch (argv[0]) {
                case "create-stream" -> CreateStream.run(args);
                case "write" -> Write.run(args);
                case "read" -> Read.run(args);
                case "route" -> Route.run(args);
                case "bench-write" -> BenchWrite.run(args);
                case "bench-txn" -> BenchTxn.run(args);
                case "bench-latency" -> BenchLatency.run(args);
                case "bench-read" -> BenchRead.run(args);
                case "bench-failover" -> BenchFailover.run(args);
                case "cut" -> Cut.run(args);
                case "read-bounded" -> ReadBounded.run(args);
                case "read-batch" -> ReadBatch.run(args);
                case "parse-cut" -> ParseCut.run(args);
                case "serve-cuts" -> ServeCuts.run(args);
                case "utf8-cases" -> Utf8Cases.run(args);
                case "route-keys" -> RouteKeys.run(args);
                case "write-strings" -> WriteStrings.run(args);
                case "txn-begin", "txn-resume", "completed-txns", "pointers", "fetch-event", "stream-config",
                     "stream-update", "watermark-bytes", "note-time", "time-window" -> StreamApi.run(argv[0], args);
                case "rg-subscribe", "rg-delete" -> GroupRetention.run(argv[0], args);
                case "kvt-create", "kvt-put", "kvt-get", "kvt-dump", "kvt-race", "kvt-bench" -> Kvt.run(argv[0], args);
                default -> throw new IllegalArgumentException("unknown subcommand " + argv[0]);
            }
            System.out.flush();
            System.exit(0);
        } catch (Throwable t) {
            System.out.flush();
            System.err.println("interop " + argv[0] + " failed: " + oneLine(t));
            System.exit(1);
        }
    }

    /** The root cause of a failure (futures wrap it) on one line. */
    private static String oneLine(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) t = t.getCause();
        return t.toString().replaceAll("\\s*\\R\\s*", " ");
    }
}
