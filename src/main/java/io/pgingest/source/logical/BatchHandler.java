package io.pgingest.source.logical;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.pgingest.event.RowBatch;
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

/**
 * Debezium's batch consumer for one pipeline: converts each Debezium batch into row batches, sends
 * them through the route synchronously, and only once every one of them was committed marks the
 * records processed (so the engine may commit their offsets). A failing batch is retried with
 * backoff; when the retries are exhausted the handler throws, which stops the engine with its
 * offsets before the batch: a batch is never skipped, and {@code RetriableException} (which would
 * make the engine drop it) is never thrown. It also notes the newest heartbeat and the highest position
 * handled (for {@code --once}'s catch-up), and reports progress through {@link DrainProgress}. Called by
 * one engine thread at a time.
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
    private final List<Duration> backoff;
    private final DrainProgress progress;
    private long position;
    private volatile long handledLsn;
    private volatile long lastHeartbeatMillis;
    private volatile String failure;
    /** The prefix of the logical decoding message that marks the end of a --once run's backlog; null when none. */
    private volatile String marker;
    private volatile boolean markerHandled;
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
     */
    BatchHandler(String pipeline, CompletableFuture<Ready> ready, SchemaTracker tracker, NewTables newTables,
                 ReadBackColumns readBack, BatchSink sink, List<Duration> backoff) {
        this.pipeline = pipeline;
        this.ready = ready;
        this.tracker = tracker;
        this.newTables = newTables;
        this.readBack = readBack;
        this.sink = sink;
        this.backoff = List.copyOf(backoff);
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
        if (!awaitReady()) {
            return; // not marked: the engine is closing and commits no offset for it
        }
        progress.lap(DrainProgress.Phase.WAIT);
        List<SourceRecord> records = new ArrayList<>(events.size());
        long heartbeat = 0;
        long maxLsn = 0;
        boolean sawMarker = false;
        for (RecordChangeEvent<SourceRecord> e : events) {
            SourceRecord r = e.record();
            records.add(r);
            maxLsn = Math.max(maxLsn, lsnOf(r));
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
        List<RowBatch> batches = converted(records);
        progress.lap(DrainProgress.Phase.CONVERT);
        writeAll(batches);
        retrying("reading back generated and inexact columns", () -> readBack.refresh(batches, batcher.tables(), sink, position));
        List<ChangeBatcher.Missing> missing = List.copyOf(batcher.missing());
        if (!missing.isEmpty()) {
            retrying("reading back the values of updated keys", () -> readBack.fill(missing, sink, position));
        }
        retrying("re-loading the values of added columns", () -> tracker.runReloads(sink, position));
        progress.lap(DrainProgress.Phase.WRITE);
        markProcessed(events, committer);
        committer.markBatchFinished();
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

    private void writeAll(List<RowBatch> batches) throws InterruptedException {
        int next = 0;
        for (int attempt = 0; ; attempt++) {
            try {
                for (; next < batches.size(); next++) {
                    sink.accept(batches.get(next));
                }
                return;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                RowBatch failed = batches.get(next);
                if (attempt >= backoff.size()) {
                    failure = "writing changes of " + failed.source().display() + " failed " + (attempt + 1)
                            + " times; the pipeline stopped before them (nothing skipped): " + rootMessage(e);
                    LOG.error("pipeline {}: {}", pipeline, failure, e);
                    throw new IllegalStateException(failure, e);
                }
                Duration wait = backoff.get(attempt);
                LOG.warn("pipeline {}: writing changes of {} failed (attempt {} of {}), retrying in {} s: {}", pipeline,
                        failed.source().display(), attempt + 1, backoff.size() + 1, wait.toSeconds(), rootMessage(e));
                Thread.sleep(wait.toMillis());
            }
        }
    }

    /**
     * The row batches of the records, retried like a write: describing a table again after its columns changed reads the
     * source's catalog, which may be briefly unreachable (a restart).
     */
    private List<RowBatch> converted(List<SourceRecord> records) throws InterruptedException {
        List<List<RowBatch>> out = new ArrayList<>(1);
        retrying("converting the changes", () -> {
            out.clear();
            out.add(batcher.batches(records, position));
        });
        return out.get(0);
    }

    /** A step of a batch that may fail and is retried like a write. */
    private interface Step {
        void run() throws Exception;
    }

    /** Runs a step of the batch before it is acknowledged, with the same retries as a write. */
    private void retrying(String what, Step step) throws InterruptedException {
        for (int attempt = 0; ; attempt++) {
            try {
                step.run();
                return;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                if (attempt >= backoff.size()) {
                    failure = what + " failed " + (attempt + 1)
                            + " times; the pipeline stopped before acknowledging the changes that led to it: " + rootMessage(e);
                    LOG.error("pipeline {}: {}", pipeline, failure, e);
                    throw new IllegalStateException(failure, e);
                }
                Duration wait = backoff.get(attempt);
                LOG.warn("pipeline {}: {} failed (attempt {} of {}), retrying in {} s: {}", pipeline, what,
                        attempt + 1, backoff.size() + 1, wait.toSeconds(), rootMessage(e));
                Thread.sleep(wait.toMillis());
            }
        }
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

    private static long lsnOf(SourceRecord r) {
        Object lsn = r.sourceOffset() == null ? null : r.sourceOffset().get("lsn");
        return lsn instanceof Number n ? n.longValue() : 0;
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
        return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + t.getMessage() + ")";
    }
}
