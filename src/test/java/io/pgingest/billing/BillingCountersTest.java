package io.pgingest.billing;

import io.pgingest.event.Column;
import io.pgingest.event.LoadKind;
import io.pgingest.event.RowBatch;
import io.pgingest.event.SourceTable;
import io.pgingest.event.WriteMode;
import io.pgingest.state.JdbcStateStore;
import io.pgingest.state.StateStore.CounterRow;
import io.pgingest.state.StateStore.Counters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class BillingCountersTest {

    /** 23:30 in UTC, already the next day in Tokyo: counters must use the UTC day. */
    private static final Instant LATE_EVENING_UTC = Instant.parse("2024-03-10T23:30:00Z");
    private static final LocalDate UTC_DAY = LocalDate.of(2024, 3, 10);

    @TempDir
    Path dir;
    private JdbcStateStore store;
    private BillingCounters counters;

    @BeforeEach
    void openStore() {
        store = JdbcStateStore.open("jdbc:h2:file:" + dir.resolve("state").toAbsolutePath(), "sa", "");
        counters = new BillingCounters(store, Clock.fixed(LATE_EVENING_UTC, ZoneId.of("Asia/Tokyo")));
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    static RowBatch batch(String table, LoadKind kind, int rows) {
        List<Object[]> values = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            values.add(new Object[]{i});
        }
        return new RowBatch("shop-pipeline", new SourceTable("shop", "public", table), "t",
                List.of(new Column("id", "integer", null, -1, -1, false)), List.of("id"), values, kind,
                WriteMode.UPSERT, 1L, Instant.EPOCH, Map.of(), false);
    }

    @Test
    void historicalEventsAreFreeAndIncrementalEventsBillable() {
        counters.loaded(batch("orders", LoadKind.HISTORICAL, 100));
        counters.loaded(batch("orders", LoadKind.INCREMENTAL, 7));

        assertThat(store.counters("shop-pipeline")).as("100 free + 7 billable, on the UTC day").containsExactly(
                new CounterRow("shop-pipeline", "public.orders", UTC_DAY, new Counters(107, 107, 0, 7)));
    }

    @Test
    void failedEventsAreCountedButNeverBillable() {
        counters.failed(batch("orders", LoadKind.INCREMENTAL, 5));

        assertThat(store.counters("shop-pipeline")).containsExactly(
                new CounterRow("shop-pipeline", "public.orders", UTC_DAY, new Counters(5, 0, 5, 0)));
    }

    @Test
    void objectsAreCountedSeparately() {
        counters.loaded(batch("orders", LoadKind.INCREMENTAL, 1));
        counters.loaded(batch("customers", LoadKind.INCREMENTAL, 2));

        assertThat(store.counters("shop-pipeline")).extracting(CounterRow::object, r -> r.counters().loaded())
                .containsExactly(org.assertj.core.groups.Tuple.tuple("public.customers", 2L),
                        org.assertj.core.groups.Tuple.tuple("public.orders", 1L));
    }

    @Test
    void emptyBatchesLeaveNoCounterRow() {
        counters.loaded(batch("orders", LoadKind.INCREMENTAL, 0));
        counters.failed(batch("orders", LoadKind.INCREMENTAL, 0));

        assertThat(store.counters("shop-pipeline")).as("nothing counted, nothing written").isEmpty();
    }
}
