package io.pgingest.source.logical;

import io.pgingest.catalog.TableInfo;
import io.pgingest.event.Column;
import io.pgingest.event.LoadKind;
import io.pgingest.event.Metadata;
import io.pgingest.event.RowBatch;
import io.pgingest.event.WriteMode;
import io.pgingest.mapping.TypeMapping;

import java.util.ArrayList;
import java.util.List;

/**
 * One table a logical-replication pipeline streams: its catalog description with resolved column
 * types (the same as table mode, so both modes build identical destination tables) and how its
 * changes are written: upserted by key, or appended when it has none (REPLICA IDENTITY FULL).
 */
record LogicalTable(TableInfo info, List<Column> columns, List<String> keys, WriteMode writeMode) {

    LogicalTable {
        columns = List.copyOf(columns);
        keys = List.copyOf(keys);
    }

    static LogicalTable of(TableInfo info) {
        List<Column> resolved = new ArrayList<>();
        for (Column c : info.columns()) {
            resolved.add(TypeMapping.resolve(c));
        }
        WriteMode mode = info.keyColumns().isEmpty() ? WriteMode.APPEND : WriteMode.UPSERT;
        return new LogicalTable(info, resolved, info.keyColumns(), mode);
    }

    /**
     * The {@link WriteMode#TRUNCATE} batch of this table at {@code position}: the destination soft-deletes its rows
     * written before (a TRUNCATE at the source, or the end of a load that replaces the table's rows).
     */
    RowBatch earlierRowsDeleted(String pipeline, long position, LoadKind kind, java.time.Instant at) {
        List<Column> written = new ArrayList<>(columns);
        written.add(Metadata.DELETED_COLUMN);
        return new RowBatch(pipeline, info.table(), null, written, keys, List.of(), kind, WriteMode.TRUNCATE, position, at,
                java.util.Map.of(), false);
    }

    /**
     * The {@link WriteMode#TRUNCATE} batch of a table without key truncated by the change numbered {@code change}: its
     * one row holds that number ({@link Metadata#CHANGE}), and the destination soft-deletes the streamed rows of lower
     * numbers and the loaded rows (no number) of lower positions. By numbers, not by the batch's position: a transaction
     * read again after a crash comes in a batch of a higher position, and its truncate then soft-deleted the rows the
     * transaction had added after it (which, held already, were not added again), while rows of its own before the
     * truncate, written only by the run that read it again, stayed (found by the twenty-first session's probe). The
     * table's lock orders every change of other transactions before or after a truncate by number too.
     */
    RowBatch truncated(String pipeline, long position, java.math.BigDecimal change, java.time.Instant at) {
        List<Object[]> rows = new ArrayList<>();
        rows.add(new Object[] {change});
        return new RowBatch(pipeline, info.table(), null, List.of(Metadata.CHANGE_COLUMN), keys, rows, LoadKind.INCREMENTAL,
                WriteMode.TRUNCATE, position, at, java.util.Map.of(), false);
    }

    int columnIndex(String name) {
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }
}
