package io.pgingest.source.logical;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgingest.event.Column;
import io.pgingest.event.LoadKind;
import io.pgingest.event.LogicalType;
import io.pgingest.event.RowBatch;
import io.pgingest.event.SourceTable;
import io.pgingest.event.WriteMode;
import io.pgingest.source.BatchSink;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TableWritesTest {

    private static final Column V = new Column("v", "int4", LogicalType.INT32, -1, -1, true);

    /** A batch of table {@code table}; its position tells the batches apart. */
    private static RowBatch batch(String table, long position) {
        return new RowBatch("p", new SourceTable("db", "public", table), null, List.of(V), List.of(), List.of(),
                LoadKind.INCREMENTAL, WriteMode.APPEND, position, Instant.EPOCH, Map.of(), false);
    }

    private static String name(RowBatch b) {
        return b.source().table() + b.position();
    }

    /** Records the batches it was given (in the order they were given), and the most written at the same time. */
    private static class Recording implements BatchSink {
        final List<String> written = Collections.synchronizedList(new ArrayList<>());
        final Set<String> threads = ConcurrentHashMap.newKeySet();
        final AtomicInteger running = new AtomicInteger();
        final AtomicInteger most = new AtomicInteger();

        @Override
        public void accept(RowBatch batch) throws Exception {
            most.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                threads.add(Thread.currentThread().getName());
                write(batch);
                written.add(name(batch));
            } finally {
                running.decrementAndGet();
            }
        }

        void write(RowBatch batch) throws Exception {
            Thread.sleep(20);
        }
    }

    @Test
    void writesTheTablesAtTheSameTimeAndEachTablesBatchesInTheirOrder() throws Exception {
        Recording sink = new Recording();
        List<RowBatch> batches = List.of(batch("a", 1), batch("b", 1), batch("a", 2), batch("c", 1), batch("b", 2),
                batch("a", 3), batch("d", 1), batch("e", 1));
        try (TableWrites writes = new TableWrites(sink, 3, "test-write")) {
            writes.write(new TableWrites.Plan(batches));
        }
        assertThat(sink.written).containsExactlyInAnyOrder("a1", "b1", "a2", "c1", "b2", "a3", "d1", "e1");
        assertThat(sink.written.stream().filter(s -> s.startsWith("a")).toList()).containsExactly("a1", "a2", "a3");
        assertThat(sink.written.stream().filter(s -> s.startsWith("b")).toList()).containsExactly("b1", "b2");
        assertThat(sink.most.get()).as("tables written at the same time").isEqualTo(3);
        assertThat(sink.threads).contains(Thread.currentThread().getName()).hasSize(3);
    }

    @Test
    void oneAtATimeRunsOnTheCallingThread() throws Exception {
        Recording sink = new Recording();
        try (TableWrites writes = new TableWrites(sink, 1, "test-write")) {
            writes.write(new TableWrites.Plan(List.of(batch("a", 1), batch("b", 1), batch("a", 2))));
        }
        assertThat(sink.written).containsExactly("a1", "b1", "a2");
        assertThat(sink.most.get()).isEqualTo(1);
        assertThat(sink.threads).containsExactly(Thread.currentThread().getName());
    }

    @Test
    void aFailedTableStopsAtItsBatchTheOthersAreWrittenAndTheRetryWritesOnlyWhatIsLeft() throws Exception {
        AtomicInteger failuresLeft = new AtomicInteger(1);
        Recording sink = new Recording() {
            @Override
            void write(RowBatch batch) throws Exception {
                super.write(batch);
                if (name(batch).equals("b2") && failuresLeft.getAndDecrement() > 0) {
                    throw new IllegalStateException("destination gone");
                }
            }
        };
        List<RowBatch> batches = List.of(batch("a", 1), batch("b", 1), batch("b", 2), batch("b", 3), batch("c", 1),
                batch("a", 2));
        TableWrites.Plan plan = new TableWrites.Plan(batches);
        try (TableWrites writes = new TableWrites(sink, 4, "test-write")) {
            assertThatThrownBy(() -> writes.write(plan))
                    .isInstanceOfSatisfying(TableWrites.Failed.class, f -> assertThat(name(f.batch())).isEqualTo("b2"))
                    .hasRootCauseMessage("destination gone");
            assertThat(sink.written).containsExactlyInAnyOrder("a1", "a2", "b1", "c1");
            assertThat(plan.anyWritten(b -> name(b).equals("b1"))).isTrue();
            assertThat(plan.anyWritten(b -> name(b).equals("b2"))).isFalse();
            sink.written.clear();
            writes.write(plan);
        }
        assertThat(sink.written).as("the retry").containsExactly("b2", "b3");
        assertThat(plan.anyWritten(b -> name(b).equals("b3"))).isTrue();
    }

    @Test
    void theFirstFailedTableInTheBatchsOrderIsReportedOnceEveryTableEnded() throws Exception {
        CountDownLatch bFailed = new CountDownLatch(1);
        Recording sink = new Recording() {
            @Override
            void write(RowBatch batch) throws Exception {
                if (batch.source().table().equals("b")) {
                    bFailed.countDown();
                    throw new IllegalStateException("b failed");
                }
                if (batch.source().table().equals("a")) {
                    bFailed.await(5, TimeUnit.SECONDS); // a fails after b
                    throw new IllegalStateException("a failed");
                }
                Thread.sleep(200); // c ends last
            }
        };
        try (TableWrites writes = new TableWrites(sink, 3, "test-write")) {
            assertThatThrownBy(() -> writes.write(new TableWrites.Plan(List.of(batch("a", 1), batch("b", 1), batch("c", 1)))))
                    .isInstanceOf(TableWrites.Failed.class).hasMessage("a failed");
        }
        assertThat(sink.written).as("c was written before the failure was reported").containsExactly("c1");
    }

    @Test
    void anErrorOfAWritingThreadReachesTheCaller() throws Exception {
        Recording sink = new Recording() {
            @Override
            void write(RowBatch batch) throws Exception {
                if (batch.source().table().equals("b")) {
                    throw new OutOfMemoryError("test");
                }
            }
        };
        try (TableWrites writes = new TableWrites(sink, 2, "test-write")) {
            TableWrites.Plan plan = new TableWrites.Plan(List.of(batch("a", 1), batch("b", 1)));
            assertThatThrownBy(() -> writes.write(plan)).isInstanceOf(OutOfMemoryError.class);
            assertThat(plan.anyWritten(b -> b.source().table().equals("b"))).isFalse();
        }
    }
}
