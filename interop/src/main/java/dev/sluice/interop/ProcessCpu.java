package dev.sluice.interop;

import java.lang.management.ManagementFactory;

/** CPU time of this whole JVM (all threads: the client's, the JIT's, the collector's), in ms. */
final class ProcessCpu {
    private ProcessCpu() {}

    static double ms() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) return sun.getProcessCpuTime() / 1e6;
        return Double.NaN;
    }
}
