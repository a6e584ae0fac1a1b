package io.pgingest.source.logical;

import io.pgingest.pipeline.PipelineSettings;
import io.pgingest.source.SourceConnections;
import io.pgingest.state.PipelineRecord;
import io.pgingest.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Watches the WAL that a logical-replication pipeline's slot retains on its source (SPEC: slot lag is reported; a
 * slot left behind fills the disk). When the engine starts and then every {@link #INTERVAL} while the pipeline runs, it reads
 * {@code pg_replication_slots}, logs the retained bytes, saves them in the pipeline's {@link PipelineRecord} (table
 * {@code pgingest_pipeline} of the state store) and, above {@code walRetentionWarningMb}, logs a WARN line naming the
 * slot, the bytes and what to do. A failed check is logged and tried again at the next interval: monitoring never
 * stops a pipeline. Runs on its own daemon thread; {@link #close()} stops it.
 */
public final class SlotMonitor implements AutoCloseable {

    /** Time between checks. */
    public static final Duration INTERVAL = Duration.ofSeconds(60);
    private static final Logger LOG = LoggerFactory.getLogger(SlotMonitor.class);

    private final PipelineSettings settings;
    private final StateStore state;
    private final String slot;
    private ScheduledExecutorService timer;

    SlotMonitor(PipelineSettings settings, StateStore state) {
        this.settings = settings;
        this.state = state;
        this.slot = ReplicationNames.slot(settings.name());
    }

    /** Checks now, on the caller's thread (so even a short {@code --once} run records one), then every {@link #INTERVAL}. */
    static SlotMonitor start(PipelineSettings settings, StateStore state) {
        SlotMonitor monitor = new SlotMonitor(settings, state);
        monitor.checkQuietly();
        monitor.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pgingest-slot-" + settings.name());
            t.setDaemon(true);
            return t;
        });
        monitor.timer.scheduleWithFixedDelay(monitor::checkQuietly, INTERVAL.toSeconds(), INTERVAL.toSeconds(), TimeUnit.SECONDS);
        return monitor;
    }

    private void checkQuietly() {
        try {
            check();
        } catch (SQLException | RuntimeException e) {
            LOG.warn("pipeline {}: cannot read the WAL retained by replication slot {} (tried again in {} s): {}",
                    settings.name(), slot, INTERVAL.toSeconds(), e.getMessage());
        }
    }

    /** One check: reads the slot, logs and records what it retains; empty when the slot does not exist (yet). */
    Optional<SlotState> check() throws SQLException {
        Optional<SlotState> found;
        try (Connection c = SourceConnections.open(settings.source(), settings.name())) {
            found = ReplicationSlots.describe(c, slot);
        }
        if (found.isEmpty()) {
            // the engine creates the slot at its first start: not there yet, or dropped by --delete-pipeline
            LOG.debug("pipeline {}: replication slot {} does not exist (yet)", settings.name(), slot);
            return found;
        }
        SlotState s = found.get();
        long threshold = settings.walRetentionWarningMb() * 1024L * 1024L;
        String message;
        if (s.retainedBytes() != null && s.retainedBytes() > threshold) {
            message = "replication slot " + slot + " retains " + s.retainedText() + " of WAL on " + settings.source().host()
                    + ":" + settings.source().port() + ", above walRetentionWarningMb (" + settings.walRetentionWarningMb()
                    + " MB); the server keeps that WAL until the pipeline confirms it: check that the pipeline keeps up (its"
                    + " log, --status) and that the slot is active; an abandoned pipeline's slot is dropped with"
                    + " --delete-pipeline " + settings.name();
            LOG.warn("pipeline {}: {}", settings.name(), message);
        } else {
            message = "replication slot " + slot + " (" + (s.active() ? "active" : "inactive") + ") retains "
                    + s.retainedText() + " of WAL";
            LOG.info("pipeline {}: {}", settings.name(), message);
        }
        state.savePipeline(new PipelineRecord(settings.name(), s.retainedBytes(), message, Instant.now()));
        return found;
    }

    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
