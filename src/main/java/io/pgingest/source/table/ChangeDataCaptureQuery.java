package io.pgingest.source.table;

import io.pgingest.catalog.TableInfo;
import io.pgingest.event.Column;
import io.pgingest.event.WriteMode;
import io.pgingest.pipeline.QueryMode;

import java.util.List;

/**
 * Change Data Capture: a timestamp column and a unique incrementing column together. Rows
 * are ordered by (timestamp, id) and paged by that pair, so inserts and updates are seen
 * and ties on the timestamp are broken exactly by the id: pages hold exactly the page size.
 */
public final class ChangeDataCaptureQuery extends TableQuery {

    private final Column ts;
    private final long delayMillis;

    ChangeDataCaptureQuery(TableInfo table, List<Column> resolvedColumns, QueryMode mode) {
        super(table, resolvedColumns, columnsNamed(table, List.of(mode.timestampColumn(), mode.incrementingColumn())));
        this.ts = table.column(mode.timestampColumn());
        this.delayMillis = mode.delayMillis();
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
        return table.keyColumns().isEmpty() ? List.of(cursorColumns.get(1).name()) : table.keyColumns();
    }

    @Override
    public String ceilingSql(boolean hasLower) {
        return tupleCeilingSql(hasLower, delayBound(ts, delayMillis));
    }

    @Override
    public String pageSql(boolean hasLower) {
        return tuplePageSql(hasLower);
    }
}
