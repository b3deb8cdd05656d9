package dev.sluice.interop;

import io.pravega.client.KeyValueTableFactory;
import io.pravega.client.admin.KeyValueTableManager;
import io.pravega.client.tables.ConditionalTableUpdateException;
import io.pravega.client.tables.KeyValueTable;
import io.pravega.client.tables.KeyValueTableClientConfiguration;
import io.pravega.client.tables.KeyValueTableConfiguration;
import io.pravega.client.tables.Put;
import io.pravega.client.tables.TableEntry;
import io.pravega.client.tables.TableKey;
import io.pravega.client.tables.TableModification;
import io.pravega.client.tables.Version;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;

/**
 * Key-value tables on Pravega's own KeyValueTable (0.13), for the interop tests and the bench.
 * Keys and values travel as hex; a key is the table's primary key followed by its secondary key.
 *   kvt-create --partitions P --pk L --sk L
 *   kvt-put --file F          lines "keyhex valuehex": unconditional puts → {"key","version"} per line
 *   kvt-get --file F          lines "keyhex": getAll → {"key","value","version"} (null if absent)
 *   kvt-dump [--page N]       iterator().all().entries() in Java's order → {"key","value","version"}
 *   kvt-race --file F --go G  lines "keyhex version valuehex": prints {"ready":true}, waits for
 *                             file G to exist, then replaces every key conditioned on its version,
 *                             all at once → {"key","won"}
 *   kvt-bench --op get|put --count N [--batch B] [--inflight C] [--keys K]: ops/s, last line
 * Every command takes --scope S --table T (and --pk/--sk for all but kvt-create's own).
 */
final class Kvt {
    private Kvt() {}

    static void run(String command, Args args) throws Exception {
        String scope = args.scope();
        String table = args.require("table");
        if (command.equals("kvt-create")) {
            try (KeyValueTableManager manager = KeyValueTableManager.create(args.clientConfig())) {
                boolean created = manager.createKeyValueTable(scope, table, KeyValueTableConfiguration.builder()
                        .partitionCount((int) args.number("partitions", 1))
                        .primaryKeyLength((int) args.number("pk", 8))
                        .secondaryKeyLength((int) args.number("sk", 0))
                        .build());
                System.out.println("{\"created\":" + created + "}");
            }
            return;
        }
        int pk = (int) args.number("pk", 8);
        try (KeyValueTableFactory factory = KeyValueTableFactory.withScope(scope, args.clientConfig());
             KeyValueTable kvt = factory.forKeyValueTable(table, KeyValueTableClientConfiguration.builder().build())) {
            switch (command) {
                case "kvt-put" -> put(kvt, pk, lines(args));
                case "kvt-get" -> get(kvt, pk, lines(args));
                case "kvt-dump" -> dump(kvt, (int) args.number("page", 100));
                case "kvt-race" -> race(kvt, pk, lines(args), args);
                case "kvt-bench" -> bench(kvt, pk, args);
                default -> throw new IllegalArgumentException("unknown subcommand " + command);
            }
        }
    }

    private static List<String[]> lines(Args args) throws Exception {
        List<String[]> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args.require("file")), StandardCharsets.UTF_8)) {
            if (!line.isBlank()) out.add(line.trim().split(" "));
        }
        return out;
    }

    static TableKey key(byte[] whole, int pk) {
        ByteBuffer primary = ByteBuffer.wrap(Arrays.copyOfRange(whole, 0, pk));
        return whole.length == pk
                ? new TableKey(primary)
                : new TableKey(primary, ByteBuffer.wrap(Arrays.copyOfRange(whole, pk, whole.length)));
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    static byte[] wholeKey(TableKey k) {
        byte[] p = bytes(k.getPrimaryKey());
        byte[] s = k.getSecondaryKey() == null ? new byte[0] : bytes(k.getSecondaryKey());
        byte[] out = Arrays.copyOf(p, p.length + s.length);
        System.arraycopy(s, 0, out, p.length, s.length);
        return out;
    }

    static byte[] unhex(String s) {
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        return out;
    }

    private static void put(KeyValueTable kvt, int pk, List<String[]> lines) throws Exception {
        Semaphore inflight = new Semaphore(64);
        List<CompletableFuture<String>> results = new ArrayList<>();
        for (String[] l : lines) {
            inflight.acquire();
            TableKey k = key(unhex(l[0]), pk);
            byte[] value = l.length > 1 ? unhex(l[1]) : new byte[0];
            results.add(kvt.update(new Put(k, ByteBuffer.wrap(value)))
                    .whenComplete((v, e) -> inflight.release())
                    .thenApply(v -> "{\"key\":\"" + l[0] + "\",\"version\":\"" + v + "\"}"));
        }
        for (CompletableFuture<String> r : results) System.out.println(r.join());
    }

    private static void get(KeyValueTable kvt, int pk, List<String[]> lines) {
        // Java's getAll takes at most 256 keys of one partition (TableSegment.MAXIMUM_BATCH_KEY_COUNT).
        List<TableEntry> entries = new ArrayList<>();
        for (int at = 0; at < lines.size(); at += 50) {
            List<TableKey> keys = new ArrayList<>();
            for (String[] l : lines.subList(at, Math.min(at + 50, lines.size()))) keys.add(key(unhex(l[0]), pk));
            entries.addAll(kvt.getAll(keys).join());
        }
        for (int i = 0; i < lines.size(); i++) {
            TableEntry e = entries.get(i);
            System.out.println(e == null
                    ? "{\"key\":\"" + lines.get(i)[0] + "\",\"value\":null,\"version\":null}"
                    : "{\"key\":\"" + lines.get(i)[0] + "\",\"value\":\"" + Json.hex(bytes(e.getValue())) + "\",\"version\":\"" + e.getVersion() + "\"}");
        }
    }

    private static void dump(KeyValueTable kvt, int page) {
        var it = kvt.iterator().maxIterationSize(page).all().entries();
        for (var item = it.getNext().join(); item != null; item = it.getNext().join()) {
            for (TableEntry e : item.getItems()) {
                System.out.println("{\"key\":\"" + Json.hex(wholeKey(e.getKey())) + "\",\"value\":\"" + Json.hex(bytes(e.getValue()))
                        + "\",\"version\":\"" + e.getVersion() + "\"}");
            }
        }
    }

    private static void race(KeyValueTable kvt, int pk, List<String[]> lines, Args args) throws Exception {
        List<TableModification> puts = new ArrayList<>();
        for (String[] l : lines) puts.add(new Put(key(unhex(l[0]), pk), ByteBuffer.wrap(unhex(l[2])), Version.fromString(l[1])));
        // Read every key once before saying ready: the connections to the table's segments are open
        // and the code warm when the race starts, or a fast SDK can take every key while this JVM
        // still connects (a race one side always wins would prove little).
        for (int at = 0; at < puts.size(); at += 50) {
            List<TableKey> keys = new ArrayList<>();
            for (TableModification p : puts.subList(at, Math.min(at + 50, puts.size()))) keys.add(p.getKey());
            kvt.getAll(keys).join();
        }
        System.out.println("{\"ready\":true}");
        System.out.flush();
        Path go = Path.of(args.require("go"));
        while (!Files.exists(go)) Thread.sleep(1);
        List<CompletableFuture<Boolean>> results = new ArrayList<>();
        Semaphore inflight = new Semaphore(16);
        for (TableModification p : puts) {
            inflight.acquire();
            results.add(kvt.update(p).whenComplete((v, e) -> inflight.release()).handle((v, e) -> {
                if (e == null) return true;
                Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                if (cause instanceof ConditionalTableUpdateException) return false;
                throw new CompletionException(cause);
            }));
        }
        for (int i = 0; i < lines.size(); i++) {
            System.out.println("{\"key\":\"" + lines.get(i)[0] + "\",\"won\":" + results.get(i).join() + "}");
        }
    }

    /** The bench's keys: `primary` big-endian in the primary key, secondary key bytes 0 but the last, `secondary`. */
    static byte[] benchKey(long primary, int secondary, int pk, int sk) {
        byte[] k = new byte[pk + sk];
        for (int b = pk - 1; b >= 0 && primary != 0; b--, primary >>>= 8) k[b] = (byte) primary;
        if (sk > 0) k[pk + sk - 1] = (byte) secondary;
        return k;
    }

    private static void bench(KeyValueTable kvt, int pk, Args args) throws Exception {
        String op = args.require("op");
        long count = args.number("count", 20_000);
        int batch = (int) args.number("batch", 1);
        int inflight = (int) args.number("inflight", 32);
        long keys = args.number("keys", 1000);
        int sk = (int) args.number("sk", 0);
        int valueSize = (int) args.number("value", 100);
        ByteBuffer value = ByteBuffer.wrap(new byte[valueSize]);
        // With batches, each op touches `batch` secondary keys of one primary key.
        long warmup = args.number("warmup", Math.min(count, 5_000));
        for (int phase = 0; phase < 2; phase++) {
            long n = phase == 0 ? warmup : count;
            if (phase == 1) {
                System.out.println("{\"timing\":\"started\"}");
                System.out.flush();
            }
            Semaphore permits = new Semaphore(inflight);
            long started = System.nanoTime();
            List<CompletableFuture<?>> all = new ArrayList<>();
            for (long i = 0; i < n; i++) {
                permits.acquire();
                long primary = i % keys;
                CompletableFuture<?> f;
                if (batch == 1) {
                    TableKey k = key(benchKey(primary, 0, pk, sk), pk);
                    f = op.equals("get") ? kvt.get(k) : kvt.update(new Put(k, value.duplicate()));
                } else {
                    List<TableKey> ks = new ArrayList<>();
                    for (int s = 0; s < batch; s++) {
                        ks.add(key(benchKey(primary, s, pk, sk), pk));
                    }
                    if (op.equals("get")) f = kvt.getAll(ks);
                    else {
                        List<TableModification> mods = new ArrayList<>();
                        for (TableKey k : ks) mods.add(new Put(k, value.duplicate()));
                        f = kvt.update(mods);
                    }
                }
                f = f.whenComplete((r, e) -> permits.release());
                all.add(f);
                if (all.size() > 10_000) {
                    all.removeIf(CompletableFuture::isDone);
                }
            }
            for (CompletableFuture<?> f : all) f.join();
            double ms = (System.nanoTime() - started) / 1e6;
            if (phase == 1) {
                System.out.println("{\"op\":\"" + op + "\",\"ops\":" + count + ",\"batch\":" + batch + ",\"ms\":" + ms
                        + ",\"opsPerSec\":" + (count / (ms / 1000)) + ",\"keysPerSec\":" + (count * batch / (ms / 1000)) + "}");
            }
        }
    }
}
