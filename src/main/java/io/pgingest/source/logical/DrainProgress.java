package io.pgingest.source.logical;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Progress of one pipeline's stream, logged at most every {@link #INTERVAL_NANOS}: changes and
 * batches handled, their rate, and where the batch handler's time went (waiting for Debezium to
 * hand over the next batch, turning records into row batches, writing them, acknowledging them).
 * A backlog drain that waits little is limited by pg-ingest's side; one that mostly waits, by
 * Debezium or the source. Used by the engine's handler thread only.
 */
final class DrainProgress {

    private static final Logger LOG = LoggerFactory.getLogger(DrainProgress.class);
    static final long INTERVAL_NANOS = 10_000_000_000L;

    /** The phases of a batch, in the order the handler runs them. */
    enum Phase { WAIT, CONVERT, WRITE, ACKNOWLEDGE }

    private final String pipeline;
    private final long[] nanos = new long[Phase.values().length];
    private long records;
    private long rows;
    private long batches;
    private long mark = System.nanoTime();
    private long since = mark;

    DrainProgress(String pipeline) {
        this.pipeline = pipeline;
    }

    /** Charges the time since the previous call to {@code phase}. */
    void lap(Phase phase) {
        long now = System.nanoTime();
        nanos[phase.ordinal()] += now - mark;
        mark = now;
    }

    /**
     * Counts a handled batch of {@code records} Debezium records that became {@code rows} rows, and logs when due,
     * or at once with {@code last} (the batch that ends a {@code --once} run).
     */
    void handled(int records, int rows, boolean last) {
        this.records += records;
        this.rows += rows;
        batches++;
        long elapsed = mark - since;
        if (elapsed >= INTERVAL_NANOS || (last && this.records > 0)) {
            long total = Math.max(1, elapsed);
            LOG.info("pipeline {}: {} records ({} rows written) in {} batches, {}/s; handler time: waiting {}%, converting {}%,"
                            + " writing {}%, acknowledging {}%", pipeline, this.records, this.rows, batches,
                    this.records * 1_000_000_000L / total, percent(Phase.WAIT, total), percent(Phase.CONVERT, total),
                    percent(Phase.WRITE, total), percent(Phase.ACKNOWLEDGE, total));
            this.records = 0;
            this.rows = 0;
            batches = 0;
            java.util.Arrays.fill(nanos, 0);
            since = mark;
        }
    }

    private long percent(Phase phase, long total) {
        return nanos[phase.ordinal()] * 100 / total;
    }
}
