package dev.sluice.interop;

import io.pravega.client.admin.StreamManager;
import io.pravega.client.stream.ScalingPolicy;
import io.pravega.client.stream.StreamConfiguration;

/** create-stream --segments N: the scope (if needed) and a fixed-segment stream. */
final class CreateStream {
    private CreateStream() {}

    static void run(Args args) {
        try (StreamManager manager = StreamManager.create(args.clientConfig())) {
            manager.createScope(args.scope());
            boolean created = manager.createStream(args.scope(), args.stream(),
                    StreamConfiguration.builder().scalingPolicy(ScalingPolicy.fixed((int) args.number("segments", 1))).build());
            System.out.println("{\"created\":" + created + "}");
        }
    }
}
