package io.pgingest.source.table;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Locale;

/**
 * Logs the progress of one object's load every few seconds: rows done, percent of the
 * planner's estimate, and rows per second. Not thread-safe (one per object run).
 */
final class ProgressLog {

    private static final Logger LOG = LoggerFactory.getLogger(ProgressLog.class);
    private static final long INTERVAL_NANOS = 5_000_000_000L;

    private final String what;
    private final long estimate;
    private final long started = System.nanoTime();
    private long lastLogged = started;
    private long rows;

    ProgressLog(String what, long estimate) {
        this.what = what;
        this.estimate = estimate;
    }

    void add(long count) {
        rows += count;
        long now = System.nanoTime();
        if (now - lastLogged >= INTERVAL_NANOS) {
            lastLogged = now;
            LOG.info("{}: {} rows{}, {} rows/s", what, String.format(Locale.ROOT, "%,d", rows), percent(), rate(now));
        }
    }

    long rows() {
        return rows;
    }

    String summary() {
        return String.format(Locale.ROOT, "%,d rows in %.1f s (%s rows/s)", rows,
                (System.nanoTime() - started) / 1e9, rate(System.nanoTime()));
    }

    private String percent() {
        return estimate > 0 ? String.format(Locale.ROOT, " (%d%% of ~%,d)", Math.min(100, rows * 100 / estimate), estimate) : "";
    }

    private String rate(long now) {
        double seconds = Math.max(1e-3, (now - started) / 1e9);
        return String.format(Locale.ROOT, "%,d", (long) (rows / seconds));
    }
}
