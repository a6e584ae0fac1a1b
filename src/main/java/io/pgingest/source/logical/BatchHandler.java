package io.pgingest.source.logical;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.pgingest.event.RowBatch;
import io.pgingest.event.WriteMode;
import io.pgingest.source.BatchSink;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;

/**
 * Debezium's batch consumer for one pipeline: converts each Debezium batch into row batches, sends
 * them through the route synchronously, and only once every one of them was committed marks the
 * records processed (so the engine may commit their offsets). A failing batch is retried with
 * backoff; when the retries are exhausted the handler throws, which stops the engine with its
 * offsets before the batch: a batch is never skipped, and {@code RetriableException} (which would
 * make the engine drop it) is never thrown. It also notes the newest heartbeat and the highest position
 * handled (for {@code --once}'s catch-up), and reports progress through {@link DrainProgress}. Called by
 * one engine thread at a time.
 * <p>While a failing batch waits for its next attempt the engine keeps its replication connection, so the
 * changes already read need not be decoded again. Not when the source cannot be reached either (its server
 * shutting down, or a restart of a server that holds the destination too): a fast shutdown waits for every
 * logical WAL sender's client to confirm what it was sent, which a handler stuck on its batch never does, so
 * the server would stay in shutdown until {@code wal_sender_timeout}. The handler then lets the engine go
 * ({@link #letGo()}): it returns the batch unmarked, and every later one, so the engine commits no offset past
 * what the destination committed, and {@link LogicalReplicationSource} closes the engine and starts a new one
 * with this handler once the source is back; the batch is read again from the slot (the destinations skip the
 * changes of tables without key they already hold, by {@link io.pgingest.event.Metadata#CHANGE}). Not when the
 * batch has appended rows that carry no such number (none does now; the check stays for one that would): then it
 * waits as before. The attempts go on counting across engines, so the retry budget still ends a lasting failure.
 */
final class BatchHandler implements DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> {

    private static final Logger LOG = LoggerFactory.getLogger(BatchHandler.class);

    /** What the handler waits for before its first batch: the batcher over every table, and the position floor. */
    record Ready(ChangeBatcher batcher, long floor) {
        /**
         * Given instead when the engine is let go before the loads are done: every batch is then returned without
         * being marked processed, so that the engine commits no offset and closes at once.
         */
        static final Ready RELEASED = new Ready(null, 0);
    }

    private final String pipeline;
    private final CompletableFuture<Ready> ready;
    private volatile ChangeBatcher batcher;
    private final SchemaTracker tracker;
    private final NewTables newTables;
    private final ReadBackColumns readBack;
    private final BatchSink sink;
    private final TableWrites writes;
    private final List<Duration> backoff;
    private final DrainProgress progress;
    private long position;
    private volatile long handledLsn;
    private volatile long lastHeartbeatMillis;
    private volatile String failure;
    /** The prefix of the logical decoding message that marks the end of a --once run's backlog; null when none. */
    private volatile String marker;
    private volatile boolean markerHandled;
    /** Whether the source takes new connections (asked when a batch fails: see the class comment). */
    private final BooleanSupplier sourceReachable;
    /** Set when the engine is let go: the wait before the next attempt; null while this engine is used. */
    private volatile Duration letGo;
    /** Failed attempts of the batch being handled, carried to the next engine when one is let go. */
    private int attempts;
    /** Whether the batch being handled has appended rows (so reading it again would append them again). */
    private boolean appended;
    /** The pipeline's slot, and how many Debezium tasks of it had started at the last batch. */
    private final String slot;
    private long taskStarts = -1;
    /** The kind of each value schema seen (Debezium reuses one schema object per record shape). */
    private final Map<Schema, Kind> kinds = new IdentityHashMap<>();

    /** What a record is, by its value schema: a heartbeat, a logical decoding message, or something else. */
    private enum Kind { HEARTBEAT, MESSAGE, OTHER }

    /**
     * @param ready   completed once the rows owed a load are loaded: the batcher, and the floor, the WAL position
     *                read after the loads: positions given to rows are never lower, so neither a loaded row nor
     *                a replay after a restart is taken for a newer change by the destination; the first batch
     *                waits for it (completed exceptionally: the batch fails and the engine stops)
     * @param backoff the waits between attempts; its size plus one is the number of attempts
     * @param sourceReachable whether the source takes a new connection; asked after a failed attempt
     */
    BatchHandler(String pipeline, CompletableFuture<Ready> ready, SchemaTracker tracker, NewTables newTables,
                 ReadBackColumns readBack, BatchSink sink, TableWrites writes, List<Duration> backoff,
                 BooleanSupplier sourceReachable) {
        this.pipeline = pipeline;
        this.slot = ReplicationNames.slot(pipeline);
        this.ready = ready;
        this.tracker = tracker;
        this.newTables = newTables;
        this.readBack = readBack;
        this.sink = sink;
        this.writes = writes;
        this.backoff = List.copyOf(backoff);
        this.sourceReachable = sourceReachable;
        this.progress = new DrainProgress(pipeline);
    }

    /** Waits for {@link #ready} once; false when the engine was let go ({@link Ready#RELEASED}). */
    private boolean awaitReady() throws InterruptedException {
        if (batcher != null) {
            return true;
        }
        try {
            Ready r = ready.get();
            if (r == Ready.RELEASED) {
                return false;
            }
            batcher = r.batcher();
            position = Math.max(position, r.floor());
            return true;
        } catch (ExecutionException e) {
            throw new IllegalStateException("the loads before streaming failed: " + rootMessage(e.getCause()), e.getCause());
        }
    }

    /** The tables streamed, or {@code before} when streaming never began. */
    Map<String, LogicalTable> tables(Map<String, LogicalTable> before) {
        ChangeBatcher b = batcher;
        return b == null ? before : b.tables();
    }

    @Override
    public void handleBatch(List<RecordChangeEvent<SourceRecord>> events,
                            DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
            throws InterruptedException {
        if (!awaitReady() || letGo != null) {
            return; // not marked: the engine is closing and commits no offset for it
        }
        try {
            handle(events, committer);
        } catch (LetGo e) {
            // not marked, like every batch after it until the engine is closed: it is read again from the slot
        }
    }

    private void handle(List<RecordChangeEvent<SourceRecord>> events,
                        DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
            throws InterruptedException, LetGo {
        progress.lap(DrainProgress.Phase.WAIT);
        appended = false;
        long starts = LeanPostgresConnector.taskStarts(slot);
        if (starts != taskStarts) {
            taskStarts = starts;
            batcher.streamRestarted(); // a new task streams from the beginning of a transaction
        }
        List<SourceRecord> records = new ArrayList<>(events.size());
        long heartbeat = 0;
        long maxLsn = 0;
        boolean sawMarker = false;
        for (RecordChangeEvent<SourceRecord> e : events) {
            SourceRecord r = e.record();
            records.add(r);
            maxLsn = Math.max(maxLsn, ChangeBatcher.lsnOf(r));
            if (r.value() instanceof Struct v) {
                Kind kind = kindOf(v.schema());
                if (kind == Kind.HEARTBEAT) {
                    heartbeat = Math.max(heartbeat, heartbeatMillis(v));
                } else if (kind == Kind.MESSAGE && marker != null && marker.equals(v.getStruct("message").getString("prefix"))) {
                    sawMarker = true;
                }
            }
        }
        position = Math.max(position, maxLsn);
        if (newTables.due(batcher.unknownTables(records))) {
            // before the batch: its records of a new table are written once the table's rows are loaded
            retrying("checking for new tables", () -> position = Math.max(position, newTables.check(batcher, sink)));
        }
        List<RowBatch> batches = withKeylessColumns(converted(records));
        progress.lap(DrainProgress.Phase.CONVERT);
        writeAll(batches);
        for (String table : batcher.unmatchable()) {
            LOG.warn("pipeline {}: {}: an update came without its old row (logged before the table was REPLICA IDENTITY"
                    + " FULL, e.g. while it had a key), so the row it changed cannot be matched; the table is loaded again",
                    pipeline, table);
            newTables.reloadLater(table, "an update without its old row at " + java.time.Instant.now());
        }
        retrying("reading back generated and inexact columns", () -> readBack.refresh(batches, batcher.tables(), sink, position));
        List<ChangeBatcher.Missing> missing = List.copyOf(batcher.missing());
        if (!missing.isEmpty()) {
            retrying("reading back the values of updated keys", () -> readBack.fill(missing, sink, position));
        }
        retrying("re-loading the values of added columns", () -> tracker.runReloads(sink, position));
        progress.lap(DrainProgress.Phase.WRITE);
        markProcessed(events, committer);
        committer.markBatchFinished();
        attempts = 0;
        handledLsn = Math.max(handledLsn, maxLsn);
        if (heartbeat > 0) {
            lastHeartbeatMillis = heartbeat;
        }
        if (sawMarker) {
            markerHandled = true;
        }
        progress.lap(DrainProgress.Phase.ACKNOWLEDGE);
        // the batch with a --once run's marker is its last: its drain is logged now, however short it was
        progress.handled(events.size(), batches.stream().mapToInt(b -> b.rows().size()).sum(), sawMarker);
    }

    /**
     * Marks the batch processed. An offset is a position in its source partition, and the engine keeps the
     * last one marked per partition, so marking the last record of each partition says the same as marking
     * every record (which cost a fifth of this thread's time in a backlog drain: a synchronized map update
     * per record).
     */
    static void markProcessed(List<RecordChangeEvent<SourceRecord>> events,
                              DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
            throws InterruptedException {
        List<Map<String, ?>> partitions = new ArrayList<>(1);
        List<RecordChangeEvent<SourceRecord>> last = new ArrayList<>(1);
        for (int i = events.size() - 1; i >= 0; i--) {
            RecordChangeEvent<SourceRecord> e = events.get(i);
            Map<String, ?> partition = e.record().sourcePartition();
            if (!containsPartition(partitions, partition)) {
                partitions.add(partition);
                last.add(e);
            }
        }
        for (int i = last.size() - 1; i >= 0; i--) {
            committer.markProcessed(last.get(i));
        }
    }

    private static boolean containsPartition(List<Map<String, ?>> partitions, Map<String, ?> partition) {
        for (Map<String, ?> p : partitions) {
            if (p == partition || p != null && p.equals(partition)) {
                return true;
            }
        }
        return false;
    }

    /** Writes the batches, the tables' at the same time ({@link TableWrites}), retrying those not written. */
    private void writeAll(List<RowBatch> batches) throws InterruptedException, LetGo {
        TableWrites.Plan plan = new TableWrites.Plan(batches);
        while (true) {
            try {
                writes.write(plan);
                appended |= plan.anyWritten(BatchHandler::appendsAgainWhenReplayed);
                return;
            } catch (TableWrites.Failed e) {
                appended |= plan.anyWritten(BatchHandler::appendsAgainWhenReplayed);
                failedAttempt("writing changes of " + e.batch().source().display(), (Exception) e.getCause(),
                        " times; the pipeline stopped before them (nothing skipped): ");
            }
        }
    }

    /**
     * Whether writing the batch again would append its rows again: rows of a table without key, unless they carry their
     * change's number ({@link io.pgingest.event.Metadata#CHANGE}), by which the destinations skip the changes they hold.
     */
    static boolean appendsAgainWhenReplayed(RowBatch batch) {
        return (batch.writeMode() == WriteMode.APPEND || batch.writeMode() == WriteMode.REPLACE_RUN)
                && batch.columnIndex(io.pgingest.event.Metadata.CHANGE) < 0;
    }

    /**
     * The row batches of the records, retried like a write: describing a table again after its columns changed reads the
     * source's catalog, which may be briefly unreachable (a restart).
     */
    private List<RowBatch> converted(List<SourceRecord> records) throws InterruptedException, LetGo {
        List<List<RowBatch>> out = new ArrayList<>(1);
        retrying("converting the changes", () -> {
            out.clear();
            out.add(batcher.batches(records, position));
        });
        return out.get(0);
    }

    /**
     * The batches with the columns of tables without key that the stream lacks or sends inexactly (stored generated
     * columns, some arrays) computed on the source ({@link ReadBackColumns}: such tables cannot be read back after the
     * write), retried like a write.
     */
    private List<RowBatch> withKeylessColumns(List<RowBatch> batches) throws InterruptedException, LetGo {
        List<List<RowBatch>> out = new ArrayList<>(1);
        retrying("computing the generated and array columns of tables without key", () -> {
            out.clear();
            out.add(readBack.computeForKeylessTables(batches, batcher.tables()));
        });
        return out.get(0);
    }

    /** A step of a batch that may fail and is retried like a write. */
    private interface Step {
        void run() throws Exception;
    }

    /** Runs a step of the batch before it is acknowledged, with the same retries as a write. */
    private void retrying(String what, Step step) throws InterruptedException, LetGo {
        while (true) {
            try {
                step.run();
                return;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                failedAttempt(what, e, " times; the pipeline stopped before acknowledging the changes that led to it: ");
            }
        }
    }

    /**
     * After a failed attempt: throws when the retries are exhausted (the engine stops, the pipeline fails), lets the
     * engine go when the source cannot be reached either and the batch appended nothing yet (see the class comment),
     * otherwise waits before the next attempt.
     */
    private void failedAttempt(String what, Exception e, String stopped) throws InterruptedException, LetGo {
        if (lockTimeout(e)) {
            // another session holds a lock on a destination table (a long query before an ALTER TABLE, a LOCK TABLE, a
            // VACUUM FULL): the write waited for it (lock_timeout) and is tried again, without using up the retries,
            // saying so each time; before, it waited without a word
            LOG.warn("pipeline {}: {} waits for a lock on a destination table that another session holds; trying again"
                    + " while it is held: {}", pipeline, what, rootMessage(e));
            Thread.sleep(1000);
            return;
        }
        int attempt = attempts++;
        if (attempt >= backoff.size()) {
            failure = what + " failed " + (attempt + 1) + stopped + rootMessage(e);
            LOG.error("pipeline {}: {}", pipeline, failure, e);
            throw new IllegalStateException(failure, e);
        }
        Duration wait = backoff.get(attempt);
        LOG.warn("pipeline {}: {} failed (attempt {} of {}), retrying in {} s: {}", pipeline, what,
                attempt + 1, backoff.size() + 1, wait.toSeconds(), rootMessage(e));
        if (!appended && !sourceReachable.getAsBoolean()) {
            LOG.warn("pipeline {}: the source cannot be reached either: the replication connection is closed until it is"
                    + " back (a server shutting down waits for it); the changes not acknowledged are read again", pipeline);
            letGo = wait;
            throw new LetGo();
        }
        Thread.sleep(wait.toMillis());
    }

    /** Whether the failure is a destination statement that gave up waiting for a lock ({@code lock_timeout}: 55P03). */
    static boolean lockTimeout(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.sql.SQLException s && "55P03".equals(s.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    /** Ends the handling of a batch whose engine is let go. */
    private static final class LetGo extends Exception {
        LetGo() {
            super(null, null, false, false);
        }
    }

    /** The wait before the next attempt when the engine was let go (see the class comment), null while it is used. */
    Duration letGo() {
        return letGo;
    }

    /** The failed attempts so far of the batch being handled (carried across engines). */
    int attempts() {
        return attempts;
    }

    /**
     * Before the handler is given to a new engine, once the one it let go has stopped.
     * @param failedAttempts the failed attempts so far, including those spent waiting for the source
     */
    void resume(int failedAttempts) {
        attempts = failedAttempts;
        letGo = null;
    }

    /** The error that stopped the handler, or null. */
    String failure() {
        return failure;
    }

    /**
     * Watches for the logical decoding message with this prefix: once its batch was handled, so was every change
     * committed before it was written ({@link #markerHandled()}).
     */
    void watchForMarker(String prefix) {
        marker = prefix;
    }

    /** Whether the message given to {@link #watchForMarker} was handled. */
    boolean markerHandled() {
        return markerHandled;
    }

    /** The highest WAL position of a record (change or heartbeat) whose batch was fully handled, or 0. */
    long handledLsn() {
        return handledLsn;
    }

    /** Creation time (engine clock) of the newest heartbeat whose batch was fully handled, or 0. */
    long lastHeartbeatMillis() {
        return lastHeartbeatMillis;
    }

    private Kind kindOf(Schema schema) {
        Kind kind = kinds.get(schema);
        if (kind == null) {
            // heartbeats have ts_ms and no op; logical decoding messages an op and a message
            kind = schema.field("op") == null && schema.field("ts_ms") != null ? Kind.HEARTBEAT
                    : schema.field("op") != null && schema.field("message") != null ? Kind.MESSAGE : Kind.OTHER;
            kinds.put(schema, kind);
        }
        return kind;
    }

    /** A heartbeat's creation time. */
    private static long heartbeatMillis(Struct heartbeat) {
        Object ts = heartbeat.get("ts_ms");
        return ts instanceof Number n ? n.longValue() : 0;
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        // the root's words once: a message that quotes its cause already (a value that cannot be converted) is left as is
        return t == e || String.valueOf(e.getMessage()).contains(String.valueOf(t.getMessage())) ? String.valueOf(e.getMessage())
                : e.getMessage() + " (" + t.getMessage() + ")";
    }
}
