package dev.sluice.interop;

import io.pravega.client.control.impl.Controller;
import io.pravega.client.control.impl.ControllerImpl;
import io.pravega.client.control.impl.ControllerImplConfig;
import io.pravega.client.stream.impl.StreamSegments;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * route-keys --count N --seed S: the segment Java's writer routes each of EdgeStrings' routing
 * keys to on the stream's current segments (its own StreamSegments, as EventStreamWriter uses):
 * {"units": the key's UTF-16 units, "segmentId": …} per key, lone surrogates, a leading U+FEFF,
 * U+FFFF, U+10FFFD, controls and long keys among them.
 */
final class RouteKeys {
    private RouteKeys() {}

    static void run(Args args) throws Exception {
        int count = (int) args.number("count", 500);
        long seed = args.number("seed", 29);
        ScheduledExecutorService executor = Executors.newScheduledThreadPool(2);
        try (Controller controller = new ControllerImpl(ControllerImplConfig.builder().clientConfig(args.clientConfig()).build(), executor)) {
            StreamSegments segments = controller.getCurrentSegments(args.scope(), args.stream()).join();
            StringBuilder out = new StringBuilder();
            for (String key : EdgeStrings.all(seed, count)) {
                long segmentId = segments.getSegmentForKey(key).getSegmentId();
                out.append("{\"units\":\"").append(EdgeStrings.units(key)).append("\",\"segmentId\":\"").append(segmentId).append("\"}\n");
            }
            System.out.print(out);
        } finally {
            executor.shutdownNow();
        }
    }
}
