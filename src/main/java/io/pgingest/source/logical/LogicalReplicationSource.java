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
import io.pgingest.source.ObjectOperations;
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
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The logical-replication ingestion mode: runs Debezium's embedded PostgreSQL engine (pgoutput, one
 * slot and one filtered publication per pipeline, both created by pg-ingest when missing) over the tables
 * the pipeline selects, and hands its changes to a {@link BatchSink} through {@link BatchHandler}.
 * At the start the publication and then the slot are made, and the existing rows owed a load are loaded by
 * pg-ingest ({@link NewTables#load}: the historical load at the first start, tables new to the pipeline
 * later, reloads requested, and any load a crash interrupted) while the engine starts; Debezium only streams
 * ({@code snapshot.mode=no_data}) from the slot, and its batches wait for the loads.
 * {@link #run} blocks: streaming, until {@link #stop()} or a failure; with {@code once}, until the
 * loads are done and the stream has caught up with the WAL position current at the start.
 * A failure marks the objects FAILED and returns false; the engine is not restarted. It is let go and started
 * again, with nothing acknowledged past what the destination committed, while the source is away: during the loads
 * ({@link #release}), and while a batch fails ({@link BatchHandler}, {@link #resumeWhenSourceIsBack}), since a source
 * server shutting down waits for its WAL senders' clients. Tables new to the
 * pipeline are handled by {@link TablePlanner} (before the engine starts) and {@link NewTables} (while streaming).
 */
public final class LogicalReplicationSource {

    private static final Logger LOG = LoggerFactory.getLogger(LogicalReplicationSource.class);
    /** The query mode recorded in the object states of this mode's tables. */
    public static final String MODE = "logical-replication";

    /**
     * Records that the rows of an included table are owed a load again ("Restart Historical Load"): a running
     * pipeline loads them at its next check for new tables ({@link NewTables#INTERVAL}), a stopped one at its start.
     */
    /** Records that an operator included a skipped table: the pipeline adds it, loads its rows and streams it. */
    public static void requestInclusion(StateStore state, ObjectRecord record) {
        NewTables.forgetLoadCursor(state, record.pipeline(), NewTables.cursorKey(record.object(), record.tableOid()));
        state.saveObject(record.withStatus(ObjectStatus.INCLUDED, ObjectProgress.PENDING,
                TablePlanner.reloadOwed("included by an operator at " + Instant.now())));
    }

    public static void requestHistoricalLoad(StateStore state, ObjectRecord record) {
        requestReload(state, record, "restart of the historical load requested at " + Instant.now());
    }

    /** Records that an included table is owed a load that replaces its destination rows ({@link TablePlanner#RELOAD}). */
    static void requestReload(StateStore state, ObjectRecord record, String why) {
        NewTables.forgetLoadCursor(state, record.pipeline(), NewTables.cursorKey(record.object(), record.tableOid()));
        state.saveObject(record.withProgress(ObjectProgress.PENDING, TablePlanner.reloadOwed(why)));
    }

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
    private final CountDownLatch stopSignal = new CountDownLatch(1);

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
            throw new PipelineConfigException(settings.name(), SourceConnections.setting(e),
                    SourceConnections.problem(e, settings.source()), e);
        }
    }

    /** Runs the engine (see the class comment); returns the failure that ended it, empty when none did. */
    public Optional<String> run(BatchSink sink, boolean once) throws InterruptedException {
        engineError = null; // a scheduled pipeline runs again after a failed run
        keptFromEngine = Map.of(); // no engine yet: the tables' own columns decide (TablePlanner#skipReason)
        Map<String, LogicalTable> tables = new LinkedHashMap<>();
        SchemaTracker tracker = new SchemaTracker(settings, state);
        TablePlanner planner = new TablePlanner(settings, state);
        planner.keptFromEngine(() -> keptFromEngine);
        NewTables newTables = new NewTables(settings, planner, tracker, state);
        List<TableInfo> owed = new ArrayList<>();
        Connection c;
        try {
            c = SourceConnections.open(settings.source(), settings.name());
        } catch (SQLException e) {
            LOG.error("pipeline {}: cannot connect to the source: {}", settings.name(), e.getMessage(), e);
            return Optional.of("cannot connect to the source: " + e.getMessage());
        }
        try (c) {
            Optional<String> busy = awaitSlotFree(c);
            if (busy.isPresent()) {
                LOG.error("pipeline {}: {}", settings.name(), busy.get());
                return busy;
            }
            try {
                List<ObjectRecord> gone = new ArrayList<>();
                List<TableInfo> streamed = new ArrayList<>();
                for (TablePlanner.Decision d : plan(c, planner, newTables, gone, tracker)) {
                    (d.loadOwed() ? owed : streamed).add(d.info());
                }
                tracker.numberColumns(c, streamed);
                for (TableInfo t : streamed) {
                    tables.put(t.table().display(), tracker.initial(c, t));
                }
                // a load the description asked for (a column added to a table without key while the pipeline was stopped):
                // done before streaming, as the planner's are (found by the twenty-second session's probe: the run's changes
                // matched none of the rows held without the column's values, and the load came only with the next run)
                Map<String, ObjectRecord> requested = planner.known();
                for (TableInfo t : List.copyOf(streamed)) {
                    ObjectRecord r = requested.get(t.table().display());
                    if (r != null && TablePlanner.loadOwed(r)) {
                        tables.remove(t.table().display());
                        streamed.remove(t);
                        owed.add(t);
                    }
                }
                for (String shared : io.pgingest.naming.DestinationNaming.sharedNameWarnings(java.util.stream.Stream.concat(
                        tables.values().stream().map(LogicalTable::info), owed.stream()).map(TableInfo::table).toList(),
                        settings.mergeTables())) {
                    LOG.warn("pipeline {}: {}", settings.name(), shared);
                }
                // the publication first: pgoutput reads it as of each change it decodes, so a slot made before the
                // publication existed would fail on the changes in between ("publication ... does not exist")
                Publication.sync(c, ReplicationNames.slot(settings.name()),
                        java.util.stream.Stream.concat(tables.values().stream().map(LogicalTable::info), owed.stream()).toList());
                if (SourceWal.ensureSlot(c, ReplicationNames.slot(settings.name()))) {
                    LOG.info("pipeline {}: replication slot {} created", settings.name(), ReplicationNames.slot(settings.name()));
                }
                state.deleteCursor(settings.name(), SLOT_NOT_CREATED);
                streamGone(gone, tracker, newTables, tables);
            } catch (Exception e) {
                LOG.error("pipeline {}: cannot prepare the tables to stream: {}", settings.name(), BatchHandler.rootMessage(e), e);
                return Optional.of("cannot prepare the tables to stream: " + BatchHandler.rootMessage(e));
            }
            if (tables.isEmpty() && owed.isEmpty()) {
                // the pipeline still streams: a table created or included later is added while it runs
                LOG.warn("pipeline {}: no table to replicate now ({}); streaming starts with none", settings.name(),
                        settings.skipObjectsAtStart() ? "every object is skipped until an operator includes it (--include-object)"
                                : "check 'objects' and 'schemas'");
            }
            // The engine starts while the rows owed a load are loaded (its start takes a second or two); its
            // batches wait for the loads, then carry positions at least the WAL position read after them.
            CompletableFuture<BatchHandler.Ready> ready = new CompletableFuture<>();
            ReadBackColumns readBack = new ReadBackColumns(settings);
            // the tables of a batch are written concurrentObjects at a time
            TableWrites writes = new TableWrites(sink, settings.concurrentObjects(), "pgingest-" + settings.name() + "-write");
            BatchHandler handler = new BatchHandler(settings.name(), ready, tracker, newTables, readBack, sink, writes,
                    backoff(settings.retryBudget()), this::sourceReachable);
            CountDownLatch ended = startEngine(handler, once);
            boolean released = false;
            LOG.info("pipeline {}: logical replication of {} tables (slot and publication {}, {})", settings.name(),
                    tables.size() + owed.size(), ReplicationNames.slot(settings.name()),
                    owed.isEmpty() ? "no rows to load" : owed.size() + " tables to load first");
            long startLsn = Long.MAX_VALUE;
            String failure = null;
            // A source that restarts or drops the connection during the loads is waited for with the batches' backoff,
            // and the loads go on over a new connection (a table's key-order load from the key it reached)
            List<Duration> waits = backoff(settings.retryBudget());
            List<LogicalTable> loaded = new ArrayList<>();
            Connection current = c;
            for (int attempt = 0; ; attempt++) {
                try {
                    if (current == null) {
                        current = SourceConnections.open(settings.source(), settings.name());
                        reopened.add(current);
                    }
                    List<TableInfo> remaining = owed.stream().filter(t -> !tables.containsKey(t.table().display())).toList();
                    newTables.load(current, remaining, sink, loaded);
                    loaded.forEach(t -> tables.put(t.info().table().display(), t));
                    readBack.know(current, tables.values());
                    startLsn = SourceWal.currentLsn(current);
                    if (released && !stopping) {
                        // the engine was let go while the source was away: a new one, with a new handler
                        ready = new CompletableFuture<>();
                        handler = new BatchHandler(settings.name(), ready, tracker, newTables, readBack, sink, writes,
                                backoff(settings.retryBudget()), this::sourceReachable);
                        ended = startEngine(handler, once);
                        released = false;
                        if (stopping) {
                            closeEngine(); // stop() came while it was being made
                        }
                        LOG.info("pipeline {}: the source is back; streaming starts again", settings.name());
                    }
                    if (once) {
                        markCatchUpPoint(current, handler);
                    }
                    ChangeBatcher batcher = new ChangeBatcher(settings.name(), tables, tracker, settings.matchKeylessTables());
                    for (LogicalTable t : tables.values()) {
                        String name = t.info().table().display();
                        NewTables.loadSnapshot(state, settings.name(), name).ifPresent(read -> batcher.loaded(name, read));
                    }
                    ready.complete(new BatchHandler.Ready(batcher, startLsn));
                    break;
                } catch (Exception e) {
                    loaded.forEach(t -> tables.put(t.info().table().display(), t));
                    loaded.clear();
                    if (attempt < waits.size() && !stopping && connectionLost(e)) {
                        LOG.warn("pipeline {}: the source connection was lost while loading the existing rows (attempt {} of"
                                + " {}), going on in {} s: {}", settings.name(), attempt + 1, waits.size() + 1,
                                waits.get(attempt).toSeconds(), BatchHandler.rootMessage(e));
                        current = null;
                        if (!released) {
                            release(ready, ended);
                            released = true;
                        }
                        Thread.sleep(waits.get(attempt).toMillis());
                        continue;
                    }
                    failure = "loading the existing rows failed: " + BatchHandler.rootMessage(e);
                    LOG.error("pipeline {}: {}", settings.name(), failure, e);
                    ready.completeExceptionally(e);
                    break;
                }
            }
            boolean caughtUp = false;
            if (failure == null) {
                try (SlotMonitor slotMonitor = SlotMonitor.start(settings, state)) { // WAL retained by the slot: logged, recorded, warned
                    while (true) {
                        caughtUp = once ? awaitCatchUp(handler, ended, startLsn) : awaitEnd(handler, ended);
                        if (caughtUp || stopping || handler.letGo() == null || engineError != null) {
                            break;
                        }
                        // the handler let the engine go: a failing batch, and the source away too (BatchHandler)
                        failure = resumeWhenSourceIsBack(handler, ended);
                        if (failure != null || stopping) {
                            break;
                        }
                        ended = startEngine(handler, once);
                        if (stopping) {
                            closeEngine(); // stop() came while it was being made
                        }
                    }
                }
            }
            stop();
            ended.await(60, TimeUnit.SECONDS);
            writes.close();
            readBack.close();
            tracker.close();
            closeAll(reopened);
            if (failure == null) {
                failure = handler.failure() != null ? handler.failure() : engineError;
            }
            if (failure == null && once && !caughtUp) {
                failure = "stopped before catching up with the WAL";
            }
            finish(planner, newTables, handler.tables(tables), failure);
            return Optional.ofNullable(failure);
        } catch (SQLException e) {
            LOG.warn("pipeline {}: closing the source connection: {}", settings.name(), e.getMessage());
            return Optional.of("closing the source connection failed: " + e.getMessage());
        }
    }

    private volatile String engineError;
    /** Set while the engine is let go on purpose ({@link #release}): its end is not a failure. */
    private volatile boolean releasing;

    /**
     * Lets the engine go while the loads wait for the source: its replication connection would otherwise hold up a
     * source server that is shutting down (a fast shutdown waits for every logical WAL sender's client, and
     * Debezium keeps the connection while its batches wait for the loads), and the loads could not go on until
     * pg-ingest gave up. Nothing was acknowledged yet: the handler returns its batches unmarked
     * ({@link BatchHandler.Ready#RELEASED}), and a new engine starts from the same offsets once the loads are done.
     */
    private void release(CompletableFuture<BatchHandler.Ready> ready, CountDownLatch ended) throws InterruptedException {
        ready.complete(BatchHandler.Ready.RELEASED);
        letEngineGo(ended, " (the loads wait for it)");
    }

    /** Closes the engine on purpose (its end is not a failure) and waits for it to stop. */
    private void letEngineGo(CountDownLatch ended, String meanwhile) throws InterruptedException {
        releasing = true;
        try {
            closeEngine();
            if (!ended.await(60, TimeUnit.SECONDS)) {
                LOG.warn("pipeline {}: the engine did not stop within 60 s of being let go", settings.name());
            }
        } finally {
            releasing = false;
        }
        LOG.info("pipeline {}: replication connection closed until the source is back{}", settings.name(), meanwhile);
    }

    /**
     * The handler let the engine go (see {@link BatchHandler}): closes it, then waits until the source takes
     * connections again, each wait counted as an attempt of the failing batch, and readies the handler for a new
     * engine. Returns the failure when the attempts ran out first, else null (also when stopped meanwhile).
     */
    private String resumeWhenSourceIsBack(BatchHandler handler, CountDownLatch ended) throws InterruptedException {
        letEngineGo(ended, "");
        List<Duration> waits = backoff(settings.retryBudget());
        int attempts = handler.attempts();
        Duration wait = handler.letGo();
        while (!stopSignal.await(wait.toMillis(), TimeUnit.MILLISECONDS)) {
            if (sourceReachable()) {
                handler.resume(attempts);
                LOG.info("pipeline {}: the source is back; streaming starts again", settings.name());
                return null;
            }
            if (attempts >= waits.size()) {
                String failure = "the source stayed unreachable while a batch was failing (" + (attempts + 1)
                        + " attempts); the pipeline stopped before the batch (nothing skipped)";
                LOG.error("pipeline {}: {}", settings.name(), failure);
                return failure;
            }
            wait = waits.get(attempts++);
            LOG.warn("pipeline {}: the source cannot be reached yet (attempt {} of {}), trying again in {} s", settings.name(),
                    attempts, waits.size() + 1, wait.toSeconds());
        }
        return null;
    }

    /** Whether the source takes a new connection now. */
    private boolean sourceReachable() {
        try (Connection c = SourceConnections.open(settings.source(), settings.name())) {
            return true;
        } catch (SQLException e) {
            LOG.debug("pipeline {}: the source takes no connection: {}", settings.name(), e.getMessage());
            return false;
        }
    }

    /** Connections opened again during the loads (closed at the end of the run). */
    private final List<Connection> reopened = new ArrayList<>();

    /**
     * Whether the error is a lost source connection (SQLSTATE class 08, or 57P0x: the server shutting down or
     * terminating the session), which a new connection may overcome.
     */
    static boolean connectionLost(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.sql.SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || sql.getSQLState().startsWith("57P0"))) {
                return true;
            }
        }
        return false;
    }

    private static void closeAll(List<Connection> connections) {
        connections.forEach(LogicalReplicationSource::closeQuietly);
        connections.clear();
    }

    private static void closeQuietly(Connection connection) {
        if (connection == null) {
            return;
        }
        try {
            connection.close();
        } catch (SQLException ignored) {
            // nothing depends on it any more
        }
    }

    /**
     * For a {@code --once} run: writes a logical decoding message after the WAL position the run must catch up with,
     * so that its catch-up is known as soon as the message was handled, instead of at the next heartbeat after the
     * client reported reading past the position (0.1-0.2 s later). Without it (a server that refuses the message) the
     * heartbeats still tell.
     */
    private void markCatchUpPoint(Connection c, BatchHandler handler) {
        String prefix = DebeziumProperties.CATCH_UP_MARKER_PREFIX + java.util.UUID.randomUUID();
        handler.watchForMarker(prefix);
        try {
            SourceWal.emitMessage(c, prefix);
        } catch (SQLException e) {
            LOG.debug("pipeline {}: no catch-up marker ({}); the catch-up waits for a heartbeat", settings.name(), e.getMessage());
        }
    }

    /** The tables the running engine was started without ({@link #unreadableTables}), per schema. */
    private volatile Map<String, List<String>> keptFromEngine = Map.of();

    /**
     * The tables of the selected schemas Debezium must not be given (their column names differ only by case: its start
     * fails on them, whichever tables the pipeline selects; TablePlanner skips them with the reason). None when the
     * source cannot be asked: the engine's own start then reports what is wrong with it.
     */
    private Map<String, List<String>> unreadableTables() {
        try (Connection c = SourceConnections.open(settings.source(), settings.name())) {
            Map<String, List<String>> tables = TablePlanner.sameButCaseTables(c, settings.schemas());
            if (!tables.isEmpty()) {
                LOG.debug("pipeline {}: tables kept from Debezium (column names differing only by case): {}", settings.name(), tables);
            }
            keptFromEngine = tables;
            return tables;
        } catch (SQLException e) {
            LOG.debug("pipeline {}: cannot list the tables whose column names differ only by case: {}", settings.name(), e.getMessage());
            keptFromEngine = Map.of();
            return Map.of();
        }
    }

    /** Builds and starts the engine in its own thread; the latch opens when it stopped. */
    private CountDownLatch startEngine(BatchHandler handler, boolean once) {
        CountDownLatch ended = new CountDownLatch(1);
        engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(DebeziumProperties.of(settings, stateDatabase, once, unreadableTables()))
                .notifying(handler)
                .using((success, message, error) -> {
                    if (!success && !stopping && !releasing) {
                        // Debezium's messages may print the whole configuration, passwords included: keep the first line only
                        String text = error == null ? message : BatchHandler.rootMessage(error);
                        engineError = text == null ? "the engine stopped" : text.replaceAll("\\{[^}]*password[^}]*}", "{...}");
                    }
                    ended.countDown();
                })
                .build();
        new Thread(engine, "pgingest-debezium-" + settings.name()).start();
        return ended;
    }

    /** Waits until the engine ended, or its handler let it go. */
    private boolean awaitEnd(BatchHandler handler, CountDownLatch ended) throws InterruptedException {
        while (!ended.await(100, TimeUnit.MILLISECONDS) && handler.letGo() == null) {
            // the engine streams
        }
        return false;
    }

    /**
     * Waits until every change committed before {@code target} was handled. Either a record at or past the
     * target was handled (changes arrive in commit order), or: the replication client reported to the server
     * (pg_stat_replication.write_lsn, sent from Debezium's streaming thread) that it has read the stream up to
     * the target (a keepalive carries the server's position when there is no change to send), so every change
     * before the target was read and queued by that thread; a heartbeat it made after that is queued behind
     * them, and once its batch was handled, so were they. A heartbeat alone proves nothing: Debezium makes
     * them on a timer, also in the middle of a backlog.
     */
    private boolean awaitCatchUp(BatchHandler handler, CountDownLatch ended, long target) throws InterruptedException {
        long readAt = 0;
        Connection c = null;
        try {
            // the handler's progress is looked at every 10 ms, the server's every 50 ms
            for (int round = 0; !ended.await(10, TimeUnit.MILLISECONDS) && handler.letGo() == null; round++) {
                boolean marker = handler.markerHandled();
                boolean exact = marker || handler.handledLsn() >= target;
                if (readAt == 0 && round % 5 == 4) {
                    try {
                        if (c == null) {
                            c = SourceConnections.open(settings.source(), settings.name());
                        }
                        if (SourceWal.readPast(c, ReplicationNames.slot(settings.name()), target)) {
                            readAt = System.currentTimeMillis();
                        }
                    } catch (SQLException e) {
                        // the source restarting: the engine rides it out, and the marker still tells
                        LOG.debug("pipeline {}: cannot watch the replication progress now: {}", settings.name(), e.getMessage());
                        closeQuietly(c);
                        c = null;
                    }
                }
                if (exact || readAt > 0 && handler.lastHeartbeatMillis() > readAt + 1) {
                    LOG.info("pipeline {}: caught up with the WAL position at start ({}); the run ends{}", settings.name(),
                            marker ? "the run's marker, written after it, was handled"
                                    : exact ? "a change past it was handled"
                                    : "the stream was read past it and every change before it written",
                            settings.streams() ? " (--once)" : " (until the next scheduled run, or --once)");
                    return true;
                }
            }
        } finally {
            closeQuietly(c);
        }
        return false;
    }

    /**
     * Stops the engine; offsets of the batches already handled are committed by it. Debezium's engine refuses
     * to close while its task is starting (a stop right after the start: the route stopped, the application
     * shut down): the close is tried again until the task has started, for at most {@link #STOP_WAIT_MS},
     * since an engine left running would keep the slot and go on writing after the pipeline stopped.
     */
    public void stop() {
        stopping = true;
        stopSignal.countDown();
        closeEngine();
    }

    /** Closes the engine (see {@link #stop()}). */
    private void closeEngine() {
        DebeziumEngine<?> e = engine;
        if (e == null) {
            return;
        }
        long deadline = System.currentTimeMillis() + STOP_WAIT_MS;
        while (true) {
            try {
                e.close();
                return;
            } catch (IllegalStateException ex) {
                String message = String.valueOf(ex.getMessage());
                if (message.contains("already shut down") || message.contains("already being shutting down")) {
                    LOG.debug("pipeline {}: the engine had stopped already: {}", settings.name(), message);
                    return;
                }
                if (!message.contains("while tasks are starting") || System.currentTimeMillis() > deadline) {
                    LOG.warn("pipeline {}: stopping the engine: {}", settings.name(), ex.getMessage());
                    return;
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    LOG.warn("pipeline {}: interrupted while waiting for the engine's task to start so that it can be stopped",
                            settings.name());
                    return;
                }
            } catch (Exception ex) {
                LOG.warn("pipeline {}: stopping the engine: {}", settings.name(), ex.getMessage());
                return;
            }
        }
    }

    /** How long {@link #stop()} waits for a starting engine (Debezium itself waits 40 s for a task to start). */
    static final long STOP_WAIT_MS = 60_000;

    /**
     * Tables streamed before that are no longer in the catalog (dropped, or renamed, while the pipeline was stopped):
     * the slot may still hold changes made to them before, which pgoutput decodes with the catalog of their time. Each
     * one whose description was kept ({@link SchemaTracker#lastStreamed}) is streamed under its old name, so those
     * changes reach its destination table; nothing new arrives for it after them. Paused or skipped ones stay out.
     */
    private void streamGone(List<ObjectRecord> gone, SchemaTracker tracker, NewTables newTables, Map<String, LogicalTable> tables) {
        for (ObjectRecord r : gone) {
            if (r.status() != ObjectStatus.INCLUDED || ObjectOperations.held(r) || tables.containsKey(r.object())) {
                continue;
            }
            Optional<LogicalTable> last = tracker.lastStreamed(r.object());
            if (last.isPresent()) {
                tables.put(r.object(), last.get());
                newTables.noteGone(r.object());
                // said at the first start after it went (later starts stream it too, in case that one stopped early)
                boolean first = r.message() == null || !r.message().startsWith(TablePlanner.DROPPED);
                String text = "pipeline {}: {} is no longer at the source (dropped or renamed); the changes made to it before"
                        + " that, still in the slot, are written to its destination table";
                if (first) {
                    LOG.info(text, settings.name(), r.object());
                } else {
                    LOG.debug(text, settings.name(), r.object());
                }
            } else {
                LOG.warn("pipeline {}: {} is no longer at the source (dropped or renamed); changes made to it before that"
                        + " while the pipeline was stopped are not written (its description was not kept by the pg-ingest"
                        + " version that streamed it)", settings.name(), r.object());
            }
        }
    }

    /**
     * Waits while another client streams from the pipeline's slot (another pg-ingest running the same pipeline, or the
     * connection of one killed a moment ago, which the server closes when it notices), with a WARN saying so every 30 s,
     * for up to {@code retrySeconds}; returns why the pipeline cannot start when the slot is still in use then. Before
     * the twentieth session a second run of a streaming pipeline only repeated Debezium's "Failed to start replication
     * stream" warnings, for several times {@code retrySeconds}, and it loaded tables owed a load meanwhile.
     */
    private Optional<String> awaitSlotFree(Connection c) throws SQLException, InterruptedException {
        String slot = ReplicationNames.slot(settings.name());
        long deadline = System.nanoTime() + settings.retryBudget().toNanos();
        long nextWarning = 0;
        while (true) {
            Optional<SlotState> state = ReplicationSlots.describe(c, slot);
            if (state.isEmpty() || !state.get().active()) {
                return Optional.empty();
            }
            String inUse = "replication slot " + slot + " is in use by the server process " + state.get().activePid()
                    + ": another process streams this pipeline from it (a second pg-ingest running the same route file,"
                    + " or one stopped a moment ago whose connection the server has not closed yet)";
            if (System.nanoTime() > deadline) {
                return Optional.of(inUse + "; stop the other process first (or wait for it to end), then start again");
            }
            if (System.nanoTime() >= nextWarning) {
                LOG.warn("pipeline {}: {}; waiting up to retrySeconds ({} s) for it to be released", settings.name(), inUse,
                        settings.retryBudget().toSeconds());
                nextWarning = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            }
            Thread.sleep(500);
        }
    }

    /**
     * Decides every table of the selected schemas (object states are recorded); returns the included ones. Known
     * objects no longer in the catalog are noted as dropped and added to {@code gone}.
     */
    private List<TablePlanner.Decision> plan(Connection c, TablePlanner planner, NewTables newTables, List<ObjectRecord> gone,
                                             SchemaTracker tracker)
            throws SQLException {
        List<TableInfo> all = Catalog.listTables(c, settings.source().database(), settings.schemas());
        newTables.checkPartitions(c, all); // partitions attached or detached while the pipeline was stopped
        newTables.checkKeylessWrites(all); // keylessTables changed while the pipeline was stopped
        Map<Long, Character> identity = TablePlanner.identities(c, all);
        Map<String, ObjectRecord> known = planner.known();
        boolean firstRun = known.isEmpty();
        if (firstRun) {
            state.saveCursor(settings.name(), SLOT_NOT_CREATED, Instant.now().toString());
        } else if (!SourceWal.slotExists(c, ReplicationNames.slot(settings.name()))) {
            if (state.cursor(settings.name(), SLOT_NOT_CREATED).isPresent()) {
                LOG.info("pipeline {}: its first run ended before it created the replication slot {}: nothing was streamed,"
                        + " the tables are loaded as that run would have", settings.name(), ReplicationNames.slot(settings.name()));
            } else {
                known = reloadAfterLostSlot(known, planner);
            }
        }
        java.util.Set<String> present = new java.util.HashSet<>();
        all.forEach(t -> present.add(t.table().display()));
        // the destination names of tables gone since the last run: their last changes are written in this one
        List<io.pgingest.event.SourceTable> goneNow = new ArrayList<>();
        for (ObjectRecord r : known.values()) {
            if (!present.contains(r.object())) {
                if (r.status() == ObjectStatus.INCLUDED && (r.message() == null || !r.message().startsWith(TablePlanner.DROPPED))) {
                    tracker.lastStreamed(r.object()).ifPresent(t -> goneNow.add(t.info().table()));
                }
                planner.noteDropped(r, TablePlanner.whereNow(c, r.tableOid(), all));
                gone.add(r);
            }
        }
        planner.claimDestinations(all, known, java.util.Set.of(), identity, goneNow);
        List<TablePlanner.Decision> included = new ArrayList<>();
        for (TableInfo t : all) {
            planner.decide(t, identity.getOrDefault(t.oid(), 'd'), known.get(t.table().display()), firstRun)
                    .ifPresent(included::add);
        }
        return included;
    }

    /**
     * A state entry of the pipeline while its first run has not created its slot yet: a first run that failed before
     * (its publication refused, say) leaves object records but no slot, and the next run must not take the slot for lost.
     */
    static final String SLOT_NOT_CREATED = "#replication slot not created yet";

    /**
     * The pipeline ran before but its slot is gone (dropped by hand, or not carried over by a failover of the source
     * server: before PostgreSQL 17 logical slots stay on the old primary): the changes made since the last committed
     * batch cannot be read from anywhere, so every table streamed or being loaded is owed its load again (by key,
     * upserting every current row; a table without key is replaced). Returns the object records as they are now.
     */
    private Map<String, ObjectRecord> reloadAfterLostSlot(Map<String, ObjectRecord> known, TablePlanner planner) {
        String note = "the replication slot " + ReplicationNames.slot(settings.name()) + " was missing at the start of "
                + Instant.now() + " (dropped, or lost in a failover of the source server)";
        int reloads = 0;
        for (ObjectRecord r : known.values()) {
            if (r.status() == ObjectStatus.INCLUDED && (r.message() == null || !r.message().startsWith(TablePlanner.DROPPED))) {
                NewTables.forgetLoadCursor(state, r.pipeline(), NewTables.cursorKey(r.object(), r.tableOid()));
                state.saveObject(r.withProgress(ObjectProgress.PENDING, TablePlanner.reloadOwed(note)));
                reloads++;
            }
        }
        LOG.warn("pipeline {}: {}: the changes made since it last streamed cannot be read, so its {} tables are loaded"
                + " again (rows deleted at the source meanwhile are soft-deleted at the end of each load); a new slot is created",
                settings.name(), note, reloads);
        return planner.known();
    }

    private void finish(TablePlanner planner, NewTables newTables, Map<String, LogicalTable> tables, String failure) {
        Map<String, ObjectRecord> known = planner.known();
        for (LogicalTable t : tables.values()) {
            if (newTables.isDropped(t.info().table().display())) {
                continue; // its note stays
            }
            ObjectRecord record = known.get(t.info().table().display());
            if (failure == null && record != null && TablePlanner.loadOwed(record)) {
                continue; // a load requested during the run (a column added to a table without key, say) stays owed
            }
            if (failure != null) {
                planner.save(t.info(), ObjectProgress.FAILED, failure);
            } else {
                // a pipeline with a frequency reads its slot in scheduled runs: between them its tables are SCHEDULED
                planner.save(t.info(), settings.streams() ? ObjectProgress.STREAMING : ObjectProgress.SCHEDULED,
                        "caught up with the WAL at " + Instant.now());
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

    /**
     * Why each of {@code tables} would be SKIPPED by a logical-replication pipeline for what the table itself is (UNLOGGED,
     * no usable replica identity, column names that differ only by case) or for a destination name another table takes,
     * by table name; for {@code --check}.
     */
    public static Map<String, String> skipReasons(Connection c, List<TableInfo> tables, PipelineSettings settings,
                                                  StateStore state) throws SQLException {
        Map<Long, Character> identity = TablePlanner.identities(c, tables);
        TablePlanner planner = new TablePlanner(settings, state);
        Map<String, ObjectRecord> known;
        try {
            known = planner.known();
        } catch (RuntimeException e) {
            known = Map.of(); // the state store in use by a running pg-ingest: the first table by name keeps a shared name
        }
        planner.claimDestinations(tables, known, java.util.Set.of(), identity, List.of());
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (TableInfo t : tables) {
            String reason = TablePlanner.skipReason(t, identity.getOrDefault(t.oid(), 'd'));
            reason = reason != null ? reason : planner.sharedReason(t);
            if (reason != null) {
                out.put(t.table().display(), reason);
            }
        }
        return out;
    }
}
