package dev.sluice.interop;

import io.pravega.client.control.impl.Controller;
import io.pravega.client.control.impl.ControllerImpl;
import io.pravega.client.control.impl.ControllerImplConfig;
import io.pravega.client.stream.impl.StreamSegments;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * route --count N --seed X: for N pseudo-random routing keys (ASCII and not, the empty key
 * first), the segment the Java writer routes each to — through the client's own StreamSegments,
 * the class EventStreamWriter uses.
 */
final class Route {
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:";
    private static final String[] EXOTIC = {"é", "ü", "ß", "中", "文", "😀", "\u0000", "Ω"};

    private Route() {}

    static void run(Args args) throws Exception {
        long count = args.number("count", 1000);
        Random random = new Random(args.number("seed", 42));
        ScheduledExecutorService executor = Executors.newScheduledThreadPool(2);
        try (Controller controller = new ControllerImpl(ControllerImplConfig.builder().clientConfig(args.clientConfig()).build(), executor)) {
            StreamSegments segments = controller.getCurrentSegments(args.scope(), args.stream()).join();
            StringBuilder out = new StringBuilder();
            for (long i = 0; i < count; i++) {
                String key = i == 0 ? "" : randomKey(random);
                long segmentId = segments.getSegmentForKey(key).getSegmentId();
                out.append("{\"key\":").append(Json.str(key)).append(",\"segmentId\":\"").append(segmentId).append("\"}\n");
            }
            System.out.print(out);
        } finally {
            executor.shutdownNow();
        }
    }

    private static String randomKey(Random random) {
        int length = 1 + random.nextInt(24);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < length; i++) {
            if (random.nextInt(8) == 0) b.append(EXOTIC[random.nextInt(EXOTIC.length)]);
            else b.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return b.toString();
    }
}
