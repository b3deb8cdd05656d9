package dev.sluice.interop;

import io.pravega.client.ClientConfig;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;

/** `--name value` flags, with the common ones (controller, scope, stream) as accessors. */
final class Args {
    private final Map<String, String> values = new HashMap<>();

    Args(String[] argv) {
        for (int i = 0; i < argv.length; i++) {
            if (!argv[i].startsWith("--")) throw new IllegalArgumentException("unexpected argument " + argv[i]);
            String name = argv[i].substring(2);
            boolean hasValue = i + 1 < argv.length && !argv[i + 1].startsWith("--");
            values.put(name, hasValue ? argv[++i] : "true");
        }
    }

    String get(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    String require(String name) {
        String v = values.get(name);
        if (v == null) throw new IllegalArgumentException("--" + name + " is required");
        return v;
    }

    long number(String name, long fallback) {
        String v = values.get(name);
        return v == null ? fallback : Long.parseLong(v);
    }

    boolean flag(String name) {
        return values.containsKey(name);
    }

    String scope() {
        return require("scope");
    }

    String stream() {
        return require("stream");
    }

    ClientConfig clientConfig() {
        return ClientConfig.builder().controllerURI(URI.create(get("controller", "tcp://127.0.0.1:9090"))).build();
    }
}
