package io.pgingest.source.table;

import io.pgingest.catalog.TableInfo;
import io.pgingest.event.Column;
import io.pgingest.event.WriteMode;

import java.util.List;

/**
 * Full Load: the whole table every run, in keyset pages over the primary key or the first
 * unique NOT NULL key. A table with neither is read in one snapshot through a server-side
 * cursor (no page boundary could be resumed safely) and replaces the destination's copy
 * once the run has completed ({@link WriteMode#REPLACE_RUN}).
 */
public final class FullLoadQuery extends TableQuery {

    FullLoadQuery(TableInfo table, List<Column> resolvedColumns) {
        super(table, resolvedColumns, columnsNamed(table, table.keyColumns()));
    }

    private FullLoadQuery(TableInfo table, List<Column> resolvedColumns, java.util.Set<String> atUtc) {
        super(table, resolvedColumns, columnsNamed(table, table.keyColumns()), atUtc);
    }

    /**
     * The Full Load pages of a keyed table whose rows a log-based pipeline then streams: its key columns of type time
     * with time zone are read at UTC (the same instant), the form in which Debezium streams them (it moves them to
     * UTC, the offset lost), so that a streamed change finds the loaded row of its key. Read as they are, a row loaded
     * as {@code 10:00:00+08} and changed later arrived as a second row, {@code 02:00:00+00}.
     */
    static FullLoadQuery forStream(TableInfo table, List<Column> resolvedColumns) {
        java.util.Set<String> atUtc = new java.util.HashSet<>();
        for (Column c : resolvedColumns) {
            if (c.type() == io.pgingest.event.LogicalType.TIMETZ && table.keyColumns().contains(c.name())) {
                atUtc.add(c.name());
            }
        }
        return new FullLoadQuery(table, resolvedColumns, atUtc);
    }

    @Override
    public boolean fullLoad() {
        return true;
    }

    @Override
    public WriteMode writeMode() {
        return keyed() ? WriteMode.UPSERT : WriteMode.REPLACE_RUN;
    }

    @Override
    public List<String> keyColumns() {
        return table.keyColumns();
    }

    @Override
    public String ceilingSql(boolean hasLower) {
        return null;
    }

    @Override
    public String pageSql(boolean hasLower) {
        if (!keyed()) {
            return "SELECT " + selectList() + " FROM " + from();
        }
        return "SELECT " + selectList() + " FROM " + from()
                + (hasLower ? " WHERE " + tuple() + " > " + parameterTuple() : "")
                + " ORDER BY " + orderBy("") + " LIMIT ?";
    }

    @Override
    public List<Object> pageParameters(List<String> lower, List<String> ceiling, int limit) {
        return keyed() ? super.pageParameters(lower, List.of(), limit) : List.of();
    }
}
