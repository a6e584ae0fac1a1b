package io.pgingest.source.table;

import io.pgingest.catalog.TableInfo;
import io.pgingest.event.Column;
import io.pgingest.event.WriteMode;
import io.pgingest.pipeline.QueryMode;

import java.util.List;

/**
 * Unique Incrementing Append Only: rows whose unique, increasing column is above the cursor,
 * for immutable tables (updates are not seen). The column is unique, so it is the
 * destination key when the table has no primary key: replays never duplicate rows.
 */
public final class AppendOnlyQuery extends TableQuery {

    private final Column id;

    AppendOnlyQuery(TableInfo table, List<Column> resolvedColumns, QueryMode mode) {
        super(table, resolvedColumns, columnsNamed(table, List.of(mode.incrementingColumn())));
        this.id = table.column(mode.incrementingColumn());
    }

    @Override
    public boolean fullLoad() {
        return false;
    }

    @Override
    public WriteMode writeMode() {
        return WriteMode.UPSERT;
    }

    @Override
    public List<String> keyColumns() {
        return table.keyColumns().isEmpty() ? List.of(id.name()) : table.keyColumns();
    }

    @Override
    public String ceilingSql(boolean hasLower) {
        return tupleCeilingSql(hasLower, "");
    }

    @Override
    public String pageSql(boolean hasLower) {
        return tuplePageSql(hasLower);
    }
}
