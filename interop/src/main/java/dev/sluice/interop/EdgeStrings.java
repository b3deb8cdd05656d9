package dev.sluice.interop;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Strings chosen on the Java side for the interop tests of strings and routing keys: every edge
 * a JavaScript string can reach — a leading U+FEFF, lone and reversed surrogates (what slicing an
 * emoji makes), U+FFFE / U+FFFF, U+10000 / U+10FFFD / U+10FFFF, C0 and C1 controls, NUL, long
 * strings — first a fixed list, then random mixes of them (seeded). Printed as UTF-16 code units
 * in hex (4 digits each), so nothing is lost on the way to the test.
 */
final class EdgeStrings {
    private EdgeStrings() {}

    /** Pieces random strings are made of: one UTF-16 unit or a pair each. */
    private static final String[] PIECES = {
        "a", "Z", "0", "-", "|", " ", "\u0000", "\u0001", "\u001f", "\u007f", "\u0080", "\u009f", "\u00a0",
        "é", "ß", "\u07ff", "\u0800", "中", "\ufeff", "\ufffd", "\ufffe", "\uffff",
        "\ud800", "\udbff", "\udc00", "\udfff", // lone surrogates
        "\ud83d\ude00", "\ud800\udc00", "\udbff\udffd", "\udbff\udfff", // pairs: 😀, U+10000, U+10FFFD, U+10FFFF
    };

    static List<String> fixed() {
        List<String> out = new ArrayList<>();
        out.add("");
        out.add("\ufeff");
        out.add("\ufeffx");
        out.add("\ufeff\ufeff");
        out.add("x\ufeff");
        out.add("\ud800");
        out.add("\udc00");
        out.add("\udfff");
        out.add("a\ud83d");
        out.add("\ude00b");
        out.add("\ude00\ud83d"); // a pair reversed: two lone surrogates
        out.add("\ud83d\ud83d\ude00");
        out.add("😀".substring(0, 1));
        out.add("😀".substring(1));
        out.add("\uffff");
        out.add("\ufffe");
        out.add("\ufffd");
        out.add(new String(Character.toChars(0x10000)));
        out.add(new String(Character.toChars(0x10FFFD)));
        out.add(new String(Character.toChars(0x10FFFF)));
        StringBuilder controls = new StringBuilder();
        for (char c = 0; c < 0x20; c++) controls.append(c);
        controls.append('\u007f');
        for (char c = 0x80; c < 0xa0; c++) controls.append(c);
        out.add(controls.toString());
        out.add("\u0000");
        out.add("key\u0000");
        out.add("a".repeat(10_000));
        out.add("\ud800".repeat(1_000));
        out.add("\ufeff" + "😀".repeat(2_000) + "\ud800");
        return out;
    }

    /** `count` random strings of 1..maxUnits-ish units (some long), seeded. */
    static List<String> random(long seed, int count) {
        Random random = new Random(seed);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int pieces = random.nextInt(10) == 0 ? 200 + random.nextInt(2_000) : 1 + random.nextInt(12);
            StringBuilder b = new StringBuilder();
            for (int p = 0; p < pieces; p++) b.append(PIECES[random.nextInt(PIECES.length)]);
            out.add(b.toString());
        }
        return out;
    }

    static List<String> all(long seed, int randomCount) {
        List<String> out = fixed();
        out.addAll(random(seed, randomCount));
        return out;
    }

    /** The string's UTF-16 code units, 4 hex digits each. */
    static String units(String s) {
        StringBuilder b = new StringBuilder(s.length() * 4);
        for (int i = 0; i < s.length(); i++) b.append(String.format("%04x", (int) s.charAt(i)));
        return b.toString();
    }
}
