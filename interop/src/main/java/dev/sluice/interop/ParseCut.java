package dev.sluice.interop;

import io.pravega.client.segment.impl.Segment;
import io.pravega.client.stream.StreamCut;
import java.util.Map;

/**
 * parse-cut --text TEXT: Java's StreamCut.from(text) of a cut written elsewhere; prints
 * {"stream":"scope/stream","positions":{"<segment id>":offset,...},"text":"<Java's asText()>"},
 * or fails (non-zero exit) if Java refuses it.
 */
final class ParseCut {
    private ParseCut() {}

    static void run(Args args) {
        StreamCut cut = StreamCut.from(args.require("text"));
        StringBuilder positions = new StringBuilder();
        for (Map.Entry<Segment, Long> e : cut.asImpl().getPositions().entrySet()) {
            if (positions.length() > 0) positions.append(',');
            positions.append(Json.str(Long.toString(e.getKey().getSegmentId()))).append(':').append(e.getValue());
        }
        System.out.println("{\"stream\":" + Json.str(cut.asImpl().getStream().getScopedName())
                + ",\"positions\":{" + positions + "},\"text\":" + Json.str(cut.asText()) + "}");
    }
}
