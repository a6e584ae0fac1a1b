package io.pgingest.catalog;

import io.pgingest.event.Column;
import io.pgingest.event.SourceTable;

import java.util.List;

/**
 * What the source catalog says about one table.
 *
 * @param table         the table
 * @param oid           its OID (changes when the table is dropped and re-created)
 * @param partitioned   true for the root of a partitioned table (loaded through the root)
 * @param unlogged      true for UNLOGGED tables (never in the WAL)
 * @param columns       the columns in attnum order; {@link Column#type()} still null;
 *                      {@link Column#sourceType()} is {@code format_type} of the column's type
 *                      with domains resolved to their base type
 * @param keyColumns    the primary key, else the first unique index whose columns are all NOT NULL
 *                      (in index order); empty when neither exists
 * @param primaryKey    whether {@code keyColumns} is the primary key
 * @param estimatedRows planner estimate ({@code reltuples}, summed over partitions), 0 when unknown
 * @param deferrableKey whether the uniqueness of {@code keyColumns} is {@code DEFERRABLE}: checked at the end of the
 *                      statement or transaction, so that two rows may hold one key in between ({@code UPDATE t SET
 *                      id = id + 1} moves a row onto the key of the next before that one moves on)
 */
public record TableInfo(SourceTable table, long oid, boolean partitioned, boolean unlogged,
                        List<Column> columns, List<String> keyColumns, boolean primaryKey, long estimatedRows,
                        boolean deferrableKey) {

    public TableInfo {
        columns = List.copyOf(columns);
        keyColumns = List.copyOf(keyColumns);
    }

    /** A table whose key (if any) is checked at each row. */
    public TableInfo(SourceTable table, long oid, boolean partitioned, boolean unlogged,
                     List<Column> columns, List<String> keyColumns, boolean primaryKey, long estimatedRows) {
        this(table, oid, partitioned, unlogged, columns, keyColumns, primaryKey, estimatedRows, false);
    }

    public Column column(String name) {
        return columns.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
    }
}
