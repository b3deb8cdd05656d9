package dev.sluice.interop;

import io.pravega.client.admin.StreamInfo;
import io.pravega.client.admin.StreamManager;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * serve-cuts: one JVM answering many cut requests, for tests that take a cut after every step.
 * Prints {"ready":true}; then for each line "cut" on stdin prints the stream's head and tail in
 * Java's own text form ({"head":...,"tail":...}); ends at end of input.
 */
final class ServeCuts {
    private ServeCuts() {}

    static void run(Args args) throws IOException {
        try (StreamManager manager = StreamManager.create(args.clientConfig());
             BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            System.out.println("{\"ready\":true}");
            System.out.flush();
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (!line.trim().equals("cut")) continue;
                StreamInfo info = manager.fetchStreamInfo(args.scope(), args.stream()).join();
                System.out.println("{\"head\":" + Json.str(info.getHeadStreamCut().asText()) + ",\"tail\":" + Json.str(info.getTailStreamCut().asText()) + "}");
                System.out.flush();
            }
        }
    }
}
