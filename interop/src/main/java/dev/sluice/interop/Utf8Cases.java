package dev.sluice.interop;

import io.pravega.client.stream.impl.UTF8StringSerializer;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * utf8-cases [--count N] [--seed S]: what Pravega's own UTF8StringSerializer makes of strings
 * and bytes the Java side chooses. For each string of EdgeStrings (fixed, then N random):
 * {"units": its UTF-16 units, "serialized": serialize(it)}. Then, for byte sequences — each
 * string's bytes behind a UTF-8 BOM, N random ones mixing valid, truncated, overlong, surrogate
 * (ED A0 80), out-of-range (F4 90 80 80) and stray bytes, and every single byte —
 * {"bytes": …, "deserialized": deserialize(them) as UTF-16 units}.
 * Offline: no Pravega needed.
 */
final class Utf8Cases {
    private Utf8Cases() {}

    /** Pieces random byte sequences are made of. */
    private static final int[][] BYTE_PIECES = {
        {0x61}, {0x00}, {0x7f}, {0xc3, 0xa9}, {0xe4, 0xb8, 0xad}, {0xf0, 0x9f, 0x98, 0x80}, {0xef, 0xbb, 0xbf},
        {0xef, 0xbf, 0xbf}, {0xf4, 0x8f, 0xbf, 0xbd},
        {0x80}, {0xbf}, {0xc0}, {0xc1}, {0xc2}, {0xe0}, {0xed}, {0xf0}, {0xf4}, {0xf5}, {0xf8}, {0xfe}, {0xff},
        {0xc0, 0x80}, {0xc1, 0xbf}, {0xe0, 0x80, 0x80}, {0xe0, 0x9f, 0xbf}, {0xf0, 0x80, 0x80, 0x80},
        {0xed, 0xa0, 0x80}, {0xed, 0xbf, 0xbf}, {0xf4, 0x90, 0x80, 0x80}, {0xe2, 0x82}, {0xf0, 0x9f, 0x98},
        {0xf0, 0x9f}, {0xe1, 0x80, 0x80},
    };

    static void run(Args args) {
        int count = (int) args.number("count", 500);
        long seed = args.number("seed", 23);
        UTF8StringSerializer serializer = new UTF8StringSerializer();
        StringBuilder out = new StringBuilder();
        List<byte[]> byteCases = new ArrayList<>();
        for (String s : EdgeStrings.all(seed, count)) {
            byte[] bytes = array(serializer.serialize(s));
            out.append("{\"units\":\"").append(EdgeStrings.units(s)).append("\",\"serialized\":\"").append(Json.hex(bytes)).append("\"}\n");
            byte[] withBom = new byte[bytes.length + 3];
            withBom[0] = (byte) 0xef;
            withBom[1] = (byte) 0xbb;
            withBom[2] = (byte) 0xbf;
            System.arraycopy(bytes, 0, withBom, 3, bytes.length);
            byteCases.add(withBom);
        }
        Random random = new Random(seed);
        for (int i = 0; i < count; i++) {
            java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
            int pieces = 1 + random.nextInt(16);
            for (int p = 0; p < pieces; p++) for (int x : BYTE_PIECES[random.nextInt(BYTE_PIECES.length)]) b.write(x);
            byteCases.add(b.toByteArray());
        }
        for (int x = 0; x < 256; x++) byteCases.add(new byte[] {(byte) x});
        for (byte[] bytes : byteCases) {
            String decoded = serializer.deserialize(ByteBuffer.wrap(bytes));
            out.append("{\"bytes\":\"").append(Json.hex(bytes)).append("\",\"deserialized\":\"").append(EdgeStrings.units(decoded)).append("\"}\n");
        }
        System.out.print(out);
    }

    private static byte[] array(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }
}
