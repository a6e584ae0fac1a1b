package io.pgingest.destination;

import io.pgingest.event.Column;
import io.pgingest.event.CopyRows;
import io.pgingest.event.LogicalType;
import io.pgingest.event.Metadata;
import io.pgingest.event.RowBatch;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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

    /** Types whose Java {@code equals} is exactly the databases' equality. */
    private static final Set<LogicalType> EXACT_KEY_TYPES = EnumSet.of(LogicalType.BOOLEAN, LogicalType.INT16,
            LogicalType.INT32, LogicalType.INT64, LogicalType.TEXT, LogicalType.UUID, LogicalType.DATE);

    /** Binary forms ({@link CopyRows#binaryTypes()}) of the exact key types that are canonical. */
    private static final Set<String> CANONICAL_BINARY = Set.of("boolean", "smallint", "integer", "bigint", "text", "uuid",
            "date");

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

    /**
     * Whether every row of the batch has its own key, so that the merge can skip collapsing rows
     * per key. Conservative: answers {@code false} when a key column has a type whose database
     * equality differs from Java's (floats, decimals, timestamps with offsets, bytes, ...).
     */
    public boolean keysKnownUnique() {
        List<Integer> indexes = new ArrayList<>();
        for (String k : key) {
            int index = batch.columnIndex(k);
            if (index < 0) {
                continue;
            }
            if (!EXACT_KEY_TYPES.contains(batch.columns().get(index).type())) {
                return false;
            }
            indexes.add(index);
        }
        if (batch.rows() instanceof CopyRows binary && !binary.isDecoded() && canonical(binary, indexes)) {
            return binary.distinct(indexes.stream().mapToInt(Integer::intValue).toArray());
        }
        Set<Object> seen = new HashSet<>(batch.rows().size() * 2);
        for (Object[] row : batch.rows()) {
            Object value = indexes.size() == 1 ? row[indexes.get(0)] : keyOf(row, indexes);
            if (!seen.add(value)) {
                return false;
            }
        }
        return true;
    }

    /** Whether the columns' binary forms are equal exactly when their values are (so rows need not be decoded). */
    private static boolean canonical(CopyRows rows, List<Integer> indexes) {
        for (int index : indexes) {
            if (index >= rows.binaryTypes().size() || !CANONICAL_BINARY.contains(rows.binaryTypes().get(index))) {
                return false;
            }
        }
        return true;
    }

    private static List<Object> keyOf(Object[] row, List<Integer> indexes) {
        List<Object> values = new ArrayList<>(indexes.size());
        for (int index : indexes) {
            values.add(row[index]);
        }
        return values;
    }

    /**
     * For an append batch whose rows carry {@link Metadata#CHANGE} (log-based, table without key): the lowest of
     * their numbers; empty for other batches.
     */
    public java.util.Optional<java.math.BigDecimal> lowestChange() {
        int index = batch.columnIndex(Metadata.CHANGE);
        if (index < 0 || batch.writeMode() != io.pgingest.event.WriteMode.APPEND) {
            return java.util.Optional.empty();
        }
        java.math.BigDecimal lowest = null;
        for (Object[] row : batch.rows()) {
            if (row[index] instanceof java.math.BigDecimal change && (lowest == null || change.compareTo(lowest) < 0)) {
                lowest = change;
            }
        }
        return java.util.Optional.ofNullable(lowest);
    }

    /**
     * For a {@link io.pgingest.event.WriteMode#MATCH} batch: the columns a removal compares (the batch's key columns, as
     * named at the destination); empty for other batches.
     */
    public List<String> matchColumns() {
        return batch.writeMode() == io.pgingest.event.WriteMode.MATCH ? batch.keyColumns() : List.of();
    }

    /**
     * The condition that the table's row {@code alias} is of the batch's source database under Merge Tables (an empty
     * string otherwise), to be appended after a condition.
     */
    public String sameDatabase(String alias) {
        if (!batch.constants().containsKey(Metadata.DATABASE)) {
            return "";
        }
        Object database = batch.constants().get(Metadata.DATABASE);
        return " AND " + alias + "." + Sql.quote(Metadata.DATABASE)
                + (database == null ? " IS NULL" : " = " + Sql.literal(database.toString()));
    }

    /**
     * For an append batch whose rows carry {@link Metadata#CHANGE}, with its {@link #lowestChange}: the condition, on the
     * staged row {@code s}, that the table {@code target} (aliased {@code t}) holds no row of the same change (of the
     * same source database under Merge Tables), so that a change read again after a restart is not appended twice.
     * Such a row was written with a {@code _pgingest_position} at least its change's LSN, which bounds what is searched.
     */
    public String notYetAppended(String target, java.math.BigDecimal lowest) {
        return "NOT EXISTS (SELECT 1 FROM " + target + " t WHERE t." + Sql.quote(Metadata.CHANGE) + " = s."
                + Sql.quote(Metadata.CHANGE) + (batch.constants().containsKey(Metadata.DATABASE) ? " AND t."
                + Sql.quote(Metadata.DATABASE) + " IS NOT DISTINCT FROM s." + Sql.quote(Metadata.DATABASE) : "")
                + " AND t." + Sql.quote(Metadata.POSITION) + " >= " + lowest.toBigInteger().shiftRight(16) + ")";
    }

    /**
     * The query of the highest {@link Metadata#CHANGE} {@code target} holds (of the batch's source database under Merge
     * Tables). When it is lower than the batch's lowest number ({@link #lowestChange}), or NULL, none of the batch's
     * changes is there.
     */
    public String highestChangeQuery(String target) {
        Object database = batch.constants().get(Metadata.DATABASE);
        return "SELECT max(" + Sql.quote(Metadata.CHANGE) + ") FROM " + target
                + (batch.constants().containsKey(Metadata.DATABASE) ? " WHERE " + Sql.quote(Metadata.DATABASE)
                + (database == null ? " IS NULL" : " = " + Sql.literal(database.toString())) : "");
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
