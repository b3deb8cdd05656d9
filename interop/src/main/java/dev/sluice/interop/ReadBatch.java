package dev.sluice.interop;

import io.pravega.client.BatchClientFactory;
import io.pravega.client.batch.SegmentIterator;
import io.pravega.client.batch.SegmentRange;
import io.pravega.client.stream.Stream;
import io.pravega.client.stream.StreamCut;
import io.pravega.client.stream.impl.ByteArraySerializer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * read-batch --from TEXT --to TEXT: Pravega's batch client between two cuts in
 * StreamCut.asText() form (or UNBOUNDED). Prints each segment range the client lists
 * ({"range":{"segment":id,"start":s,"end":e}}), each event ({"payload":...}), then
 * {"done":true,"count":n}. A segment the end cut leaves out is read to its write offset at listing.
 */
final class ReadBatch {
    private ReadBatch() {}

    static void run(Args args) {
        StreamCut from = StreamCut.from(args.get("from", "UNBOUNDED"));
        StreamCut to = StreamCut.from(args.get("to", "UNBOUNDED"));
        Stream stream = Stream.of(args.scope(), args.stream());
        try (BatchClientFactory batch = BatchClientFactory.withScope(args.scope(), args.clientConfig())) {
            List<SegmentRange> ranges = new ArrayList<>();
            batch.getSegments(stream, from, to).getIterator().forEachRemaining(ranges::add);
            StringBuilder out = new StringBuilder();
            for (SegmentRange r : ranges) {
                out.append("{\"range\":{\"segment\":").append(r.getSegmentId())
                   .append(",\"start\":").append(r.getStartOffset())
                   .append(",\"end\":").append(r.getEndOffset()).append("}}\n");
            }
            long count = 0;
            for (SegmentRange r : ranges) {
                try (SegmentIterator<byte[]> events = batch.readSegment(r, new ByteArraySerializer())) {
                    for (Iterator<byte[]> it = events; it.hasNext(); ) {
                        count++;
                        out.append("{\"payload\":").append(Json.str(new String(it.next(), StandardCharsets.UTF_8))).append("}\n");
                    }
                }
            }
            System.out.print(out);
            System.out.println("{\"done\":true,\"count\":" + count + "}");
        }
    }
}
