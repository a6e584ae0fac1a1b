package io.pgingest.source.logical;

import io.pgingest.pipeline.PipelineSettings;
import io.pgingest.source.SourceConnections;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Decides when a {@code --once} run has caught up with the WAL position current at its start. Once the
 * pipeline's slot is consistent, a logical decoding message (prefix {@link #PREFIX}, a content unique to
 * this run) is written on the source in its own transaction. Logical decoding sends transactions in
 * commit order, so when the batch holding that message has been acknowledged, every change committed
 * before it, hence before the start, has been written to the destination. The wait ends there, without
 * polling intervals, and it cannot end early: changes still buffered between the server and Debezium
 * always come before the marker.
 * <p>Where the message cannot be written or would not arrive (a standby source, PostgreSQL 16+; a server
 * older than 14, whose pgoutput sends no messages), the older rule is used: the slot's sender passed the
 * start position and a heartbeat created after that was handled. It can end while the last changes are
 * still in flight (they are then written by the next run).
 */
final class CatchUp {

    private static final Logger LOG = LoggerFactory.getLogger(CatchUp.class);
    /** The prefix of pg-ingest's catch-up messages; other consumers of the database ignore them. */
    static final String PREFIX = "pgingest.caught-up";
    private static final long POLL_MILLIS = 100;

    private final PipelineSettings settings;

    CatchUp(PipelineSettings settings) {
        this.settings = settings;
    }

    /** Waits until caught up (true) or until the engine ended (false). */
    boolean await(BatchHandler handler, CountDownLatch ended, long target) throws InterruptedException {
        String slot = ReplicationNames.slot(settings.name());
        String marker = settings.name() + ":" + UUID.randomUUID();
        handler.expectMarker(marker);
        boolean emitted = false;
        boolean fallback = false;
        long passedAt = 0;
        try (Connection c = SourceConnections.open(settings.source(), settings.name())) {
            if (c.getMetaData().getDatabaseMajorVersion() < 14) {
                fallback = true;
                LOG.info("pipeline {}: PostgreSQL before 14 sends no logical decoding messages; --once stops after the"
                        + " sender passed the start position and a later heartbeat", settings.name());
            }
            while (!ended.await(POLL_MILLIS, TimeUnit.MILLISECONDS)) {
                if (handler.markerHandled()) {
                    LOG.info("pipeline {}: caught up with the WAL position at start; stopping (--once)", settings.name());
                    return true;
                }
                if (!emitted && !fallback && SourceWal.slotConsistent(c, slot)) {
                    try {
                        SourceWal.emitMessage(c, PREFIX, marker);
                        emitted = true;
                    } catch (SQLException e) {
                        fallback = true;
                        LOG.info("pipeline {}: cannot write the catch-up message on the source ({}); --once stops after"
                                + " the sender passed the start position and a later heartbeat", settings.name(), e.getMessage());
                    }
                }
                if (fallback) {
                    if (passedAt == 0 && SourceWal.sentPast(c, slot, target)) {
                        passedAt = System.currentTimeMillis();
                    }
                    if (passedAt > 0 && handler.lastHeartbeatMillis() > passedAt) {
                        LOG.info("pipeline {}: the sender passed the WAL position at start; stopping (--once)", settings.name());
                        return true;
                    }
                }
            }
        } catch (SQLException e) {
            LOG.error("pipeline {}: cannot watch the replication progress: {}", settings.name(), e.getMessage(), e);
        }
        return false;
    }
}
