package io.pgingest.source.logical;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.debezium.embedded.Connect;
import io.pgingest.catalog.Catalog;
import io.pgingest.catalog.CatalogException;
import io.pgingest.catalog.TableInfo;
import io.pgingest.pipeline.ObjectSelection;
import io.pgingest.pipeline.PipelineConfigException;
import io.pgingest.pipeline.PipelineSettings;
import io.pgingest.source.BatchSink;
import io.pgingest.source.SourceConnections;
import io.pgingest.state.ObjectProgress;
import io.pgingest.state.ObjectRecord;
import io.pgingest.state.ObjectStatus;
import io.pgingest.state.StateStore;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The logical-replication ingestion mode: runs Debezium's embedded PostgreSQL engine (pgoutput, one
 * slot and one filtered publication per pipeline, created by Debezium when missing) over the tables
 * the pipeline selects, and hands its changes to a {@link BatchSink} through {@link BatchHandler}.
 * {@link #run} blocks: streaming, until {@link #stop()} or a failure; with {@code once}, until the
 * snapshot is done and the stream has caught up with the WAL position current at the start.
 * A failure marks the objects FAILED and returns false; the engine is not restarted.
 */
public final class LogicalReplicationSource {

    private static final Logger LOG = LoggerFactory.getLogger(LogicalReplicationSource.class);
    /**
     * The waits between attempts of a failing batch: 1 s doubling up to 60 s, as many as fit in
     * {@code budget} (at least one): a destination or source restart is ridden out, a lasting
     * failure stops the pipeline.
     */
    static List<Duration> backoff(Duration budget) {
        List<Duration> waits = new java.util.ArrayList<>();
        long total = 0;
        long next = 1;
        do {
            waits.add(Duration.ofSeconds(next));
            total += next;
            next = Math.min(next * 2, 60);
        } while (total + next <= budget.toSeconds());
        return List.copyOf(waits);
    }

    private final PipelineSettings settings;
    private final StateStore state;
    private final StateDatabase stateDatabase;
    private volatile DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    private volatile boolean stopping;

    public LogicalReplicationSource(PipelineSettings settings, StateStore state, StateDatabase stateDatabase) {
        this.settings = settings;
        this.state = state;
        this.stateDatabase = stateDatabase;
    }

    /**
     * Checks, before anything is written, that the source is reachable, has {@code wal_level=logical},
     * and that every object named explicitly is a table. Throws {@link PipelineConfigException}.
     */
    public void check() {
        try (Connection c = SourceConnections.open(settings.source(), settings.name())) {
            String walLevel = SourceWal.walLevel(c);
            if (!"logical".equals(walLevel)) {
                throw new PipelineConfigException(settings.name(), "mode", "the source server has wal_level=" + walLevel
                        + "; logical replication needs wal_level=logical (ALTER SYSTEM SET wal_level = logical, then restart"
                        + " PostgreSQL; on RDS/Aurora set rds.logical_replication=1), or use mode: table");
            }
            for (ObjectSelection s : settings.objects()) {
                if (!s.name().isWildcard()) {
                    Catalog.describe(c, settings.source().database(), s.name().schema(), s.name().table());
                }
            }
        } catch (CatalogException e) {
            throw new PipelineConfigException(settings.name(), "objects", e.getMessage(), e);
        } catch (SQLException e) {
            throw new PipelineConfigException(settings.name(), "host", "cannot connect to PostgreSQL " + settings.source()
                    + ": " + e.getMessage() + " (check host, port, database, user and password)", e);
        }
    }

    /** Runs the engine (see the class comment); returns whether it ended without failure. */
    public boolean run(BatchSink sink, boolean once) throws InterruptedException {
        Map<String, LogicalTable> tables = new LinkedHashMap<>();
        SchemaTracker tracker = new SchemaTracker(settings, state);
        long startLsn;
        try (Connection c = SourceConnections.open(settings.source(), settings.name())) {
            for (Map.Entry<String, LogicalTable> t : plan(c).entrySet()) {
                tables.put(t.getKey(), tracker.initial(c, t.getValue().info()));
            }
            startLsn = SourceWal.currentLsn(c);
        } catch (SQLException | CatalogException e) {
            LOG.error("pipeline {}: cannot read the source: {}", settings.name(), e.getMessage(), e);
            return false;
        }
        if (tables.isEmpty()) {
            LOG.warn("pipeline {}: no table to replicate (check 'objects' and 'schemas'); nothing to stream", settings.name());
            return true;
        }
        BatchHandler handler = new BatchHandler(settings.name(), new ChangeBatcher(settings.name(), tables, tracker),
                tracker, sink, startLsn, backoff(settings.retryBudget()));
        CountDownLatch ended = new CountDownLatch(1);
        String[] engineError = new String[1];
        engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(DebeziumProperties.of(settings, List.copyOf(tables.keySet()), stateDatabase, once ? 1_000 : 10_000))
                .notifying(handler)
                .using((success, message, error) -> {
                    if (!success && !stopping) {
                        // Debezium's messages may print the whole configuration, passwords included: keep the first line only
                        String text = error == null ? message : BatchHandler.rootMessage(error);
                        engineError[0] = text == null ? "the engine stopped" : text.replaceAll("\\{[^}]*password[^}]*}", "{...}");
                    }
                    ended.countDown();
                })
                .build();
        Thread thread = new Thread(engine, "pgingest-debezium-" + settings.name());
        thread.start();
        LOG.info("pipeline {}: logical replication of {} tables (slot and publication {}, {})", settings.name(),
                tables.size(), ReplicationNames.slot(settings.name()),
                settings.loadHistoricalData() ? "snapshot first" : "changes from now on");
        boolean caughtUp = once ? awaitCatchUp(handler, ended, startLsn) : awaitEnd(ended);
        stop();
        ended.await(60, TimeUnit.SECONDS);
        String failure = handler.failure() != null ? handler.failure() : engineError[0];
        if (failure == null && once && !caughtUp) {
            failure = "stopped before catching up with the WAL";
        }
        finish(tables, failure);
        return failure == null;
    }

    private boolean awaitEnd(CountDownLatch ended) throws InterruptedException {
        ended.await();
        return false;
    }

    /** Waits until the slot's sender passed {@code target} and a heartbeat created after that was handled. */
    private boolean awaitCatchUp(BatchHandler handler, CountDownLatch ended, long target) throws InterruptedException {
        long passedAt = 0;
        try (Connection c = SourceConnections.open(settings.source(), settings.name())) {
            while (!ended.await(500, TimeUnit.MILLISECONDS)) {
                if (passedAt == 0 && SourceWal.sentPast(c, ReplicationNames.slot(settings.name()), target)) {
                    passedAt = System.currentTimeMillis();
                }
                // heartbeats come when the stream is idle: one made after the sender passed the target follows every change before it
                if (passedAt > 0 && handler.lastHeartbeatMillis() > passedAt) {
                    LOG.info("pipeline {}: caught up with the WAL position at start; stopping (--once)", settings.name());
                    return true;
                }
            }
        } catch (SQLException e) {
            LOG.error("pipeline {}: cannot watch the replication progress: {}", settings.name(), e.getMessage(), e);
        }
        return false;
    }

    /** Stops the engine; offsets of the batches already handled are committed by it. */
    public void stop() {
        stopping = true;
        DebeziumEngine<?> e = engine;
        if (e != null) {
            try {
                e.close();
            } catch (Exception ex) {
                LOG.warn("pipeline {}: stopping the engine: {}", settings.name(), ex.getMessage());
            }
        }
    }

    /** The included tables by {@code schema.table}; records object states (skipped ones with the reason). */
    private Map<String, LogicalTable> plan(Connection c) throws SQLException {
        List<TableInfo> all = Catalog.listTables(c, settings.source().database(), settings.schemas());
        Map<Long, Character> identity = SourceWal.replicaIdentities(c, all.stream().map(TableInfo::oid).toList());
        Map<String, LogicalTable> included = new LinkedHashMap<>();
        for (TableInfo t : all) {
            String object = t.table().display();
            if (settings.selectionFor(t.table().schema(), t.table().table()).isEmpty()) {
                save(t, ObjectStatus.SKIPPED, ObjectProgress.PENDING, "not selected by 'objects'");
                continue;
            }
            String reason = skipReason(t, identity.getOrDefault(t.oid(), 'd'));
            if (reason != null) {
                LOG.warn("pipeline {}: {} skipped: {}", settings.name(), object, reason);
                save(t, ObjectStatus.SKIPPED, ObjectProgress.PENDING, reason);
                continue;
            }
            ObjectProgress progress = state.object(settings.name(), object).filter(r -> r.tableOid() == t.oid())
                    .map(ObjectRecord::progress).filter(p -> p == ObjectProgress.STREAMING).orElse(
                            settings.loadHistoricalData() ? ObjectProgress.HISTORICAL_LOAD_RUNNING : ObjectProgress.STREAMING);
            save(t, ObjectStatus.INCLUDED, progress, null);
            included.put(object, LogicalTable.of(t));
        }
        return included;
    }

    private static String skipReason(TableInfo t, char identity) {
        if (t.unlogged()) {
            return "UNLOGGED tables are not written to the WAL, so logical replication cannot see their changes;"
                    + " make it logged (ALTER TABLE ... SET LOGGED) or replicate it with mode: table";
        }
        boolean usable = identity == 'f' || identity == 'i' || identity == 'd' && t.primaryKey();
        if (!usable) {
            return "the table has no primary key and no REPLICA IDENTITY (FULL or USING INDEX): publishing it would make"
                    + " its UPDATEs and DELETEs fail on the source; add a primary key or set REPLICA IDENTITY FULL";
        }
        return null;
    }

    private void save(TableInfo t, ObjectStatus status, ObjectProgress progress, String message) {
        state.saveObject(new ObjectRecord(settings.name(), t.table().display(), t.oid(), status, progress,
                "logical-replication", message, Instant.now()));
    }

    private void finish(Map<String, LogicalTable> tables, String failure) {
        for (LogicalTable t : tables.values()) {
            if (failure != null) {
                save(t.info(), ObjectStatus.INCLUDED, ObjectProgress.FAILED, failure);
            } else {
                save(t.info(), ObjectStatus.INCLUDED, ObjectProgress.STREAMING, "caught up with the WAL at " + Instant.now());
            }
        }
        if (failure != null) {
            LOG.error("pipeline {}: logical replication FAILED and stopped: {}", settings.name(), failure);
        }
    }

    /** The tables' names, for messages. */
    static List<String> names(Map<String, LogicalTable> tables) {
        return new ArrayList<>(tables.keySet());
    }
}
