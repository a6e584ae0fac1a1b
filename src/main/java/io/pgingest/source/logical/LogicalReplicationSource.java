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
 * A failure marks the objects FAILED and returns false; the engine is not restarted. Tables new to the
 * pipeline are handled by {@link TablePlanner} (before the engine starts) and {@link NewTables} (while streaming).
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
        TablePlanner planner = new TablePlanner(settings, state);
        NewTables newTables = new NewTables(settings, planner, tracker);
        long startLsn;
        List<TableInfo> owed = new ArrayList<>();
        try (Connection c = SourceConnections.open(settings.source(), settings.name())) {
            for (TablePlanner.Decision d : plan(c, planner)) {
                if (d.loadOwed()) {
                    owed.add(d.info());
                } else {
                    tables.put(d.info().table().display(), tracker.initial(c, d.info()));
                }
            }
            Publication.sync(c, ReplicationNames.slot(settings.name()),
                    java.util.stream.Stream.concat(tables.values().stream().map(LogicalTable::info), owed.stream()).toList());
            List<LogicalTable> loaded = new ArrayList<>();
            newTables.load(c, owed, sink, loaded);
            loaded.forEach(t -> tables.put(t.info().table().display(), t));
            startLsn = SourceWal.currentLsn(c);
        } catch (Exception e) {
            LOG.error("pipeline {}: cannot prepare the tables to stream: {}", settings.name(), BatchHandler.rootMessage(e), e);
            return false;
        }
        if (tables.isEmpty()) {
            LOG.warn("pipeline {}: no table to replicate (check 'objects' and 'schemas'); nothing to stream", settings.name());
            return true;
        }
        ChangeBatcher batcher = new ChangeBatcher(settings.name(), tables, tracker);
        BatchHandler handler = new BatchHandler(settings.name(), batcher, tracker, newTables, sink, startLsn, backoff(settings.retryBudget()));
        CountDownLatch ended = new CountDownLatch(1);
        String[] engineError = new String[1];
        engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(DebeziumProperties.of(settings, List.copyOf(tables.keySet()), stateDatabase, once))
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
        boolean caughtUp = once ? new CatchUp(settings).await(handler, ended, startLsn) : awaitEnd(ended);
        stop();
        ended.await(60, TimeUnit.SECONDS);
        String failure = handler.failure() != null ? handler.failure() : engineError[0];
        if (failure == null && once && !caughtUp) {
            failure = "stopped before catching up with the WAL";
        }
        finish(planner, newTables, batcher.tables(), failure);
        return failure == null;
    }

    private boolean awaitEnd(CountDownLatch ended) throws InterruptedException {
        ended.await();
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

    /** Decides every table of the selected schemas (object states are recorded); returns the included ones. */
    private List<TablePlanner.Decision> plan(Connection c, TablePlanner planner) throws SQLException {
        List<TableInfo> all = Catalog.listTables(c, settings.source().database(), settings.schemas());
        Map<Long, Character> identity = TablePlanner.identities(c, all);
        Map<String, ObjectRecord> known = planner.known();
        boolean firstRun = known.isEmpty();
        java.util.Set<String> present = new java.util.HashSet<>();
        all.forEach(t -> present.add(t.table().display()));
        known.values().stream().filter(r -> !present.contains(r.object())).forEach(planner::noteDropped);
        List<TablePlanner.Decision> included = new ArrayList<>();
        for (TableInfo t : all) {
            planner.decide(t, identity.getOrDefault(t.oid(), 'd'), known.get(t.table().display()), firstRun)
                    .ifPresent(included::add);
        }
        return included;
    }

    private void finish(TablePlanner planner, NewTables newTables, Map<String, LogicalTable> tables, String failure) {
        for (LogicalTable t : tables.values()) {
            if (newTables.isDropped(t.info().table().display())) {
                continue; // its note stays
            }
            if (failure != null) {
                planner.save(t.info(), ObjectProgress.FAILED, failure);
            } else {
                planner.save(t.info(), ObjectProgress.STREAMING, "caught up with the WAL at " + Instant.now());
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
