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

    int columnIndex(String name) {
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }
}
