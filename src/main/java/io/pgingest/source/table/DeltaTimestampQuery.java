package io.pgingest.source.table;

import io.pgingest.catalog.TableInfo;
import io.pgingest.event.Column;
import io.pgingest.event.LogicalType;
import io.pgingest.event.WriteMode;
import io.pgingest.pipeline.QueryMode;

import java.util.ArrayList;
import java.util.List;

/**
 * Delta-Timestamp: rows whose timestamp column is newer than the cursor. Many rows may share
 * a timestamp, so rows are ordered and paged by the timestamp followed by a tie-breaker: the
 * table's key, else the row's physical position ({@code tableoid}, {@code ctid}). Pages hold
 * exactly the page size whatever the size of a tie, no row of a tie is lost at a page
 * boundary, and no run loops on a tie. Rows whose timestamp is NULL are never read by this mode.
 * <p>Trade-off: a table without a key is appended to (every new version of a row is a new
 * destination row); with a key, rows are upserted.
 */
public final class DeltaTimestampQuery extends TableQuery {

    private final Column ts;
    private final long delayMillis;

    DeltaTimestampQuery(TableInfo table, List<Column> resolvedColumns, QueryMode mode) {
        super(table, resolvedColumns, cursorColumns(table, mode));
        this.ts = table.column(mode.timestampColumn());
        this.delayMillis = mode.delayMillis();
    }

    private static List<Column> cursorColumns(TableInfo table, QueryMode mode) {
        List<Column> cursor = new ArrayList<>();
        cursor.add(table.column(mode.timestampColumn()));
        if (table.keyColumns().isEmpty()) {
            // tableoid first: ctid alone repeats across the partitions of a partitioned table
            cursor.add(new Column("tableoid", "oid", LogicalType.INT64, -1, -1, false));
            cursor.add(new Column("ctid", "tid", LogicalType.TEXT, -1, -1, false));
        } else {
            cursor.addAll(columnsNamed(table, table.keyColumns()));
        }
        return cursor;
    }

    @Override
    public boolean fullLoad() {
        return false;
    }

    @Override
    public WriteMode writeMode() {
        return table.keyColumns().isEmpty() ? WriteMode.APPEND : WriteMode.UPSERT;
    }

    @Override
    public List<String> keyColumns() {
        return table.keyColumns();
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
