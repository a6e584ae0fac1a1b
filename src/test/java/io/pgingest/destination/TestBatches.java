package io.pgingest.destination;

import io.pgingest.event.Column;
import io.pgingest.event.LoadKind;
import io.pgingest.event.LogicalType;
import io.pgingest.event.RowBatch;
import io.pgingest.event.SourceTable;
import io.pgingest.event.WriteMode;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Builds {@link RowBatch}es for destination tests. */
public final class TestBatches {

    public static final Instant INGESTED_AT = Instant.parse("2024-05-06T07:08:09.123456Z");

    private TestBatches() {
    }

    public static Column column(String name, LogicalType type) {
        return new Column(name, type.name().toLowerCase(), type, -1, -1, true);
    }

    public static Column column(String name, LogicalType type, String sourceType) {
        return new Column(name, sourceType, type, -1, -1, true);
    }

    public static Column decimal(String name, int precision, int scale) {
        return new Column(name, "numeric(" + precision + "," + scale + ")", LogicalType.DECIMAL, precision, scale, true);
    }

    /** An incremental batch (historical ones may take the writers' bulk paths; see {@link #historical}). */
    public static RowBatch batch(String target, WriteMode mode, List<Column> columns, List<String> key, long position,
                                 boolean endOfRun, Map<String, Object> constants, Object[]... rows) {
        return new RowBatch("p1", new SourceTable("src", "public", target), target, columns, key, Arrays.asList(rows),
                LoadKind.INCREMENTAL, mode, position, INGESTED_AT, constants, endOfRun);
    }

    /** An upsert batch of a historical load; {@code endOfRun} marks the load's end. */
    public static RowBatch historical(String target, List<Column> columns, List<String> key, long position,
                                      boolean endOfRun, Object[]... rows) {
        return new RowBatch("p1", new SourceTable("src", "public", target), target, columns, key, Arrays.asList(rows),
                LoadKind.HISTORICAL, WriteMode.UPSERT, position, INGESTED_AT, Map.of(), endOfRun);
    }

    public static RowBatch upsert(String target, List<Column> columns, List<String> key, long position, Object[]... rows) {
        return batch(target, WriteMode.UPSERT, columns, key, position, false, Map.of(), rows);
    }

    public static RowBatch append(String target, List<Column> columns, long position, Object[]... rows) {
        return batch(target, WriteMode.APPEND, columns, List.of(), position, false, Map.of(), rows);
    }

    public static Object[] row(Object... values) {
        return values;
    }
}
