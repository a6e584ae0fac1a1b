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
