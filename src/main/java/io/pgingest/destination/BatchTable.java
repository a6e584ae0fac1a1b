package io.pgingest.destination;

import io.pgingest.event.Column;
import io.pgingest.event.LogicalType;
import io.pgingest.event.Metadata;
import io.pgingest.event.RowBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The destination view of one {@link RowBatch}: the value columns written per row (the batch's
 * columns followed by its constant columns) and the upsert key (the batch's key columns, plus
 * {@code _pgingest_database} when Merge Tables adds that constant). Immutable.
 *
 * @param name     destination table name
 * @param columns  value columns in write order; constants come after the batch's own columns
 * @param key      upsert key column names (empty for append modes)
 * @param batch    the batch the view was made from
 */
public record BatchTable(String name, List<Column> columns, List<String> key, RowBatch batch) {

    public BatchTable {
        columns = List.copyOf(columns);
        key = List.copyOf(key);
    }

    /** Builds the view; fails when the batch has no target (the naming processor did not run). */
    public static BatchTable of(RowBatch batch) {
        if (batch.target() == null || batch.target().isBlank()) {
            throw new IllegalArgumentException("batch of " + batch.source()
                    + " has no destination table name: route it through the naming processor first");
        }
        List<Column> columns = new ArrayList<>(batch.columns());
        for (Map.Entry<String, Object> constant : batch.constants().entrySet()) {
            if (batch.columnIndex(constant.getKey()) < 0) {
                columns.add(constantColumn(constant.getKey(), constant.getValue()));
            }
        }
        for (Column column : columns) {
            if (column.type() == null) {
                throw new IllegalArgumentException("column " + column.name() + " of " + batch.source()
                        + " has no logical type: route the batch through the type-mapping processor first");
            }
        }
        List<String> key = new ArrayList<>();
        if (batch.writeMode() == io.pgingest.event.WriteMode.UPSERT) {
            key.addAll(batch.keyColumns());
            if (batch.constants().containsKey(Metadata.DATABASE) && !key.contains(Metadata.DATABASE)) {
                key.add(Metadata.DATABASE);
            }
        }
        return new BatchTable(batch.target(), columns, key, batch);
    }

    /** The value of column {@code index} (as in {@link #columns()}) in {@code row}. */
    public Object value(Object[] row, int index) {
        int own = batch.columns().size();
        if (index < own) {
            return row[index];
        }
        return batch.constants().get(columns.get(index).name());
    }

    /** Whether the key has a column {@code name}. */
    public boolean isKey(String name) {
        return key.contains(name);
    }

    private static Column constantColumn(String name, Object value) {
        LogicalType type;
        if (value instanceof Long) {
            type = LogicalType.INT64;
        } else if (value instanceof Integer) {
            type = LogicalType.INT32;
        } else if (value instanceof Boolean) {
            type = LogicalType.BOOLEAN;
        } else if (value == null || value instanceof String) {
            type = LogicalType.TEXT;
        } else {
            throw new IllegalArgumentException("constant column " + name + " has a value of unsupported class "
                    + value.getClass().getName() + "; use String, Long, Integer or Boolean");
        }
        return new Column(name, "constant", type, -1, -1, !Metadata.DATABASE.equals(name));
    }
}
