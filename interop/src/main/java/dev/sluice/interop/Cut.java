package dev.sluice.interop;

import io.pravega.client.admin.StreamInfo;
import io.pravega.client.admin.StreamManager;

/** cut: the stream's head and tail cuts in Java's own text form (StreamCut.asText()). */
final class Cut {
    private Cut() {}

    static void run(Args args) {
        try (StreamManager manager = StreamManager.create(args.clientConfig())) {
            StreamInfo info = manager.fetchStreamInfo(args.scope(), args.stream()).join();
            System.out.println("{\"head\":" + Json.str(info.getHeadStreamCut().asText()) + ",\"tail\":" + Json.str(info.getTailStreamCut().asText()) + "}");
        }
    }
}
