package io.pgingest.source.table;

import io.pgingest.catalog.TableInfo;
import io.pgingest.event.Column;
import io.pgingest.event.WriteMode;
import io.pgingest.pipeline.QueryMode;

import java.util.ArrayList;
import java.util.List;

/**
 * Delta-Timestamp: rows whose timestamp column is newer than the cursor. Many rows may
 * share a timestamp, so a page always ends on a whole tie group: it holds up to the page
 * size rows plus every other row with the page's last timestamp. The cursor is then that
 * timestamp, and the next page starts strictly after it: no row of a tie is lost, and no
 * run loops on a tie. Rows whose timestamp is NULL are never read by this mode.
 * <p>Trade-off: a table without a key is appended to (every new version of a row is a new
 * destination row); with a key, rows are upserted.
 */
public final class DeltaTimestampQuery extends TableQuery {

    private final Column ts;
    private final long delayMillis;

    DeltaTimestampQuery(TableInfo table, List<Column> resolvedColumns, QueryMode mode) {
        super(table, resolvedColumns, List.of(mode.timestampColumn()));
        this.ts = table.column(mode.timestampColumn());
        this.delayMillis = mode.delayMillis();
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
        String col = q(ts.name());
        return "SELECT m, " + OPEN_XIDS + " FROM (SELECT max(" + col + ")::text AS m FROM " + from()
                + " WHERE " + col + " IS NOT NULL" + (hasLower ? " AND " + col + " > ?::" + ts.sourceType() : "")
                + delayBound(ts, delayMillis) + ") s WHERE m IS NOT NULL";
    }

    @Override
    public String pageSql(boolean hasLower) {
        String col = q(ts.name());
        String type = ts.sourceType();
        String lower = hasLower ? col + " > ?::" + type + " AND " : "";
        return "WITH __pgingest_page AS (SELECT max(t) AS __pgingest_hi FROM (SELECT " + col + " AS t FROM " + from()
                + " WHERE " + lower + col + " <= ?::" + type + " ORDER BY " + col + " LIMIT ?) s) "
                + "SELECT " + selectList() + " FROM " + from() + ", __pgingest_page WHERE " + lower
                + col + " <= __pgingest_page.__pgingest_hi ORDER BY " + col;
    }

    @Override
    public List<Object> pageParameters(List<String> lower, List<String> ceiling, int limit) {
        List<Object> p = new ArrayList<>(lower);
        p.addAll(ceiling);
        p.add(limit);
        p.addAll(lower);
        return p;
    }
}
