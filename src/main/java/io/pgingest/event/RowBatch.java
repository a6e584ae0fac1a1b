package io.pgingest.event;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A batch of rows of one source table: the message body that flows from a source through
 * the shared processors (type mapping, naming, billing) to a destination writer.
 * Immutable except that the row arrays are not copied: processors replace rows with
 * {@link #withRows} instead of changing them in place.
 *
 * @param pipeline      pipeline name
 * @param source        the source table
 * @param target        destination table name; {@code null} until the naming processor set it
 * @param columns       the columns, in the order of every row array
 * @param keyColumns    names (as in {@code columns}) of the key; empty when the table has none
 * @param rows          row values, one {@code Object[]} per row, classes per {@link LogicalType}
 * @param kind          historical or incremental (billing)
 * @param writeMode     how the destination applies the rows
 * @param position      value of {@code _pgingest_position} for every row of the batch
 * @param ingestedAt    when the rows were read from the source ({@code _pgingest_ingested_at})
 * @param constants     extra constant columns written with every row, e.g. {@code _pgingest_database}
 * @param endOfRun      the last batch of a run (see {@link WriteMode#REPLACE_RUN}) or of a historical
 *                      load (a destination may then finish a bulk load, e.g. build its key); may hold no rows
 */
public record RowBatch(
        String pipeline,
        SourceTable source,
        String target,
        List<Column> columns,
        List<String> keyColumns,
        List<Object[]> rows,
        LoadKind kind,
        WriteMode writeMode,
        long position,
        Instant ingestedAt,
        Map<String, Object> constants,
        boolean endOfRun) {

    public RowBatch {
        Objects.requireNonNull(pipeline, "pipeline");
        Objects.requireNonNull(source, "source");
        columns = List.copyOf(columns);
        keyColumns = List.copyOf(keyColumns);
        Objects.requireNonNull(rows, "rows");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(writeMode, "writeMode");
        Objects.requireNonNull(ingestedAt, "ingestedAt");
        constants = Map.copyOf(constants);
        if (writeMode == WriteMode.UPSERT && keyColumns.isEmpty()) {
            throw new IllegalArgumentException("UPSERT needs key columns for " + source);
        }
    }

    public int size() {
        return rows.size();
    }

    /**
     * How many source events the batch holds (billing): its rows, but for a {@link WriteMode#MATCH} batch, whose update
     * is two rows (the old one removed, the new one added), its distinct {@link Metadata#CHANGE} numbers.
     */
    public long events() {
        if (writeMode == WriteMode.TRUNCATE) {
            return 0; // its row, if any, holds the truncate's number (a table without key), not a row
        }
        int index = writeMode == WriteMode.MATCH ? columnIndex(Metadata.CHANGE) : -1;
        if (index < 0) {
            return rows.size();
        }
        return rows.stream().map(r -> r[index]).distinct().count();
    }

    public int columnIndex(String name) {
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    public RowBatch withRows(List<Column> newColumns, List<Object[]> newRows) {
        return new RowBatch(pipeline, source, target, newColumns, keyColumns, newRows, kind, writeMode,
                position, ingestedAt, constants, endOfRun);
    }

    public RowBatch withTarget(String newTarget, List<Column> newColumns, List<String> newKeys,
                               Map<String, Object> newConstants) {
        return new RowBatch(pipeline, source, newTarget, newColumns, newKeys, rows, kind, writeMode,
                position, ingestedAt, newConstants, endOfRun);
    }
}
