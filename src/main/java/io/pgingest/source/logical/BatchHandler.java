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

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Debezium's batch consumer for one pipeline: converts each Debezium batch into row batches, sends
 * them through the route synchronously, and only once every one of them was committed marks the
 * records processed (so the engine may commit their offsets). A failing batch is retried with
 * backoff; when the retries are exhausted the handler throws, which stops the engine with its
 * offsets before the batch: a batch is never skipped, and {@code RetriableException} (which would
 * make the engine drop it) is never thrown. It also notes the newest heartbeat and whether the catch-up
 * message of {@link CatchUp} was handled, and reports progress through {@link DrainProgress}. Called by
 * one engine thread at a time.
 */
final class BatchHandler implements DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> {

    private static final Logger LOG = LoggerFactory.getLogger(BatchHandler.class);

    private final String pipeline;
    private final ChangeBatcher batcher;
    private final SchemaTracker tracker;
    private final NewTables newTables;
    private final BatchSink sink;
    private final List<Duration> backoff;
    private final DrainProgress progress;
    private long position;
    private volatile long lastHeartbeatMillis;
    private volatile String failure;
    private volatile String expectedMarker;
    private volatile boolean markerHandled;
    /** The kind of each value schema seen (Debezium reuses one schema object per record shape). */
    private final Map<Schema, Kind> kinds = new IdentityHashMap<>();

    /** What a record is, by its value schema: a heartbeat, a logical decoding message, or something else. */
    private enum Kind { HEARTBEAT, MESSAGE, OTHER }

    /**
     * @param floor   the WAL position when the engine started: positions given to rows are never lower,
     *                so a replay after a restart is never taken for an older change by the destination
     * @param backoff the waits between attempts; its size plus one is the number of attempts
     */
    BatchHandler(String pipeline, ChangeBatcher batcher, SchemaTracker tracker, NewTables newTables, BatchSink sink,
                 long floor, List<Duration> backoff) {
        this.pipeline = pipeline;
        this.batcher = batcher;
        this.tracker = tracker;
        this.newTables = newTables;
        this.sink = sink;
        this.position = floor;
        this.backoff = List.copyOf(backoff);
        this.progress = new DrainProgress(pipeline);
    }

    @Override
    public void handleBatch(List<RecordChangeEvent<SourceRecord>> events,
                            DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
            throws InterruptedException {
        progress.lap(DrainProgress.Phase.WAIT);
        List<SourceRecord> records = new ArrayList<>(events.size());
        long heartbeat = 0;
        boolean marker = false;
        String expected = expectedMarker;
        for (RecordChangeEvent<SourceRecord> e : events) {
            SourceRecord r = e.record();
            records.add(r);
            position = Math.max(position, lsnOf(r));
            if (r.value() instanceof Struct v) {
                switch (kindOf(v.schema())) {
                    case HEARTBEAT -> heartbeat = Math.max(heartbeat, heartbeatMillis(v));
                    case MESSAGE -> marker |= expected != null && isMarker(v, expected);
                    default -> {
                    }
                }
            }
        }
        if (newTables.due(batcher.unknownTables(records))) {
            // before the batch: its records of a new table are written once the table's rows are loaded
            retrying("checking for new tables", () -> position = Math.max(position, newTables.check(batcher, sink)));
        }
        List<RowBatch> batches = batcher.batches(records, position);
        progress.lap(DrainProgress.Phase.CONVERT);
        writeAll(batches);
        retrying("re-loading the values of added columns", () -> tracker.runReloads(sink, position));
        progress.lap(DrainProgress.Phase.WRITE);
        for (RecordChangeEvent<SourceRecord> e : events) {
            committer.markProcessed(e);
        }
        committer.markBatchFinished();
        if (heartbeat > 0) {
            lastHeartbeatMillis = heartbeat;
        }
        if (marker) {
            markerHandled = true;
        }
        progress.lap(DrainProgress.Phase.ACKNOWLEDGE);
        progress.handled(events.size(), batches.stream().mapToInt(b -> b.rows().size()).sum(), marker);
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

    /** Watches for the logical decoding message of {@link CatchUp} with this content. */
    void expectMarker(String content) {
        markerHandled = false;
        expectedMarker = content;
    }

    /** Whether the batch holding the expected catch-up message was handled (written and acknowledged). */
    boolean markerHandled() {
        return markerHandled;
    }

    /** Creation time of the newest heartbeat whose batch was fully handled, or 0. */
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
            // heartbeats have ts_ms and no op; messages have op "m" and a message struct
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

    /** Whether the message is {@link CatchUp}'s logical decoding message with {@code content}. */
    private static boolean isMarker(Struct value, String content) {
        Struct message = value.getStruct("message");
        if (message == null || !CatchUp.PREFIX.equals(message.getString("prefix"))) {
            return false;
        }
        Object raw = message.get("content");
        byte[] expected = content.getBytes(StandardCharsets.UTF_8);
        if (raw instanceof byte[] b) {
            return Arrays.equals(b, expected);
        }
        if (raw instanceof ByteBuffer b) {
            return b.duplicate().equals(ByteBuffer.wrap(expected));
        }
        // binary.handling.mode base64 would send text
        return raw instanceof String s && (s.equals(content) || s.equals(Base64.getEncoder().encodeToString(expected)));
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + t.getMessage() + ")";
    }
}
