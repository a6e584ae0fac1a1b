package io.pgingest.source.logical;

import static org.assertj.core.api.Assertions.assertThat;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.pgingest.event.Column;
import io.pgingest.event.LoadKind;
import io.pgingest.event.LogicalType;
import io.pgingest.event.Metadata;
import io.pgingest.event.RowBatch;
import io.pgingest.event.SourceTable;
import io.pgingest.event.WriteMode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

class BatchHandlerTest {

    /** Records what the handler marks, as Debezium's committer would receive it. */
    private static final class Marks implements DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> {
        final List<Long> marked = new ArrayList<>();

        @Override
        public void markProcessed(RecordChangeEvent<SourceRecord> record) {
            marked.add((Long) record.record().sourceOffset().get("lsn"));
        }

        @Override
        public void markBatchFinished() {
        }

        @Override
        public void markProcessed(RecordChangeEvent<SourceRecord> record, DebeziumEngine.Offsets offsets) {
            throw new UnsupportedOperationException();
        }

        @Override
        public DebeziumEngine.Offsets buildOffsets() {
            throw new UnsupportedOperationException();
        }
    }

    private static RecordChangeEvent<SourceRecord> event(String server, long lsn) {
        SourceRecord r = new SourceRecord(Map.of("server", server), Map.of("lsn", lsn), "topic", null, null);
        return () -> r;
    }

    @Test
    void marksTheLastRecordOfEachPartitionInStreamOrder() throws Exception {
        Marks marks = new Marks();
        BatchHandler.markProcessed(List.of(event("a", 1), event("a", 2), event("b", 3), event("a", 4), event("b", 5),
                event("a", 6)), marks);
        assertThat(marks.marked).as("the offset the engine keeps per partition: the last one").containsExactly(5L, 6L);
    }

    /** Only rows appended without their change's number would be appended twice when a let-go batch is read again. */
    @Test
    void appendedRowsWithoutTheirChangesNumberAreTheOnlyOnesAReplayAppendsAgain() {
        Column v = new Column("v", "text", LogicalType.TEXT, -1, -1, true);
        BiFunction<WriteMode, List<Column>, RowBatch> batch =
                (mode, columns) -> new RowBatch("p", new SourceTable("db", "public", "t"), null,
                        columns, mode == WriteMode.UPSERT ? List.of("v") : List.of(), List.of(),
                        LoadKind.INCREMENTAL, mode, 1, Instant.EPOCH, Map.of(), false);
        List<Column> numbered = List.of(v, Metadata.CHANGE_COLUMN);
        assertThat(BatchHandler.appendsAgainWhenReplayed(batch.apply(WriteMode.APPEND, numbered))).isFalse();
        assertThat(BatchHandler.appendsAgainWhenReplayed(batch.apply(WriteMode.APPEND, List.of(v)))).isTrue();
        assertThat(BatchHandler.appendsAgainWhenReplayed(batch.apply(WriteMode.REPLACE_RUN, List.of(v)))).isTrue();
        assertThat(BatchHandler.appendsAgainWhenReplayed(batch.apply(WriteMode.UPSERT, List.of(v)))).isFalse();
    }

    @Test
    void oneRecordIsMarked() throws Exception {
        Marks marks = new Marks();
        BatchHandler.markProcessed(List.of(event("a", 7)), marks);
        assertThat(marks.marked).containsExactly(7L);
    }

    @org.junit.jupiter.api.Test
    void aLockTimeoutIsToldAnywhereInTheCauses() {
        java.sql.SQLException lock = new java.sql.SQLException("canceling statement due to lock timeout", "55P03");
        org.assertj.core.api.Assertions.assertThat(BatchHandler.lockTimeout(new IllegalStateException("write failed",
                new RuntimeException(lock)))).isTrue();
        org.assertj.core.api.Assertions.assertThat(BatchHandler.lockTimeout(new IllegalStateException("write failed",
                new java.sql.SQLException("unique violation", "23505")))).isFalse();
    }

    /** A failure's message names its root cause once (a conversion error quotes it already: found by a probe). */
    @org.junit.jupiter.api.Test
    void rootMessageNamesTheCauseOnce() {
        IllegalStateException cause = new IllegalStateException("not a boolean: 7");
        org.assertj.core.api.Assertions.assertThat(BatchHandler.rootMessage(new IllegalArgumentException(
                "column e: cannot convert (not a boolean: 7); see LogicalType.BOOLEAN", cause)))
                .isEqualTo("column e: cannot convert (not a boolean: 7); see LogicalType.BOOLEAN");
        org.assertj.core.api.Assertions.assertThat(BatchHandler.rootMessage(new RuntimeException("writing failed",
                new java.sql.SQLException("ERROR: refused")))).isEqualTo("writing failed (ERROR: refused)");
    }
}
