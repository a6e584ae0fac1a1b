package io.pgingest.source.logical;

import static org.assertj.core.api.Assertions.assertThat;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

    @Test
    void oneRecordIsMarked() throws Exception {
        Marks marks = new Marks();
        BatchHandler.markProcessed(List.of(event("a", 7)), marks);
        assertThat(marks.marked).containsExactly(7L);
    }
}
