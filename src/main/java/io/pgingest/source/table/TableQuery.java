package io.pgingest.source.table;

import io.pgingest.catalog.TableInfo;
import io.pgingest.event.Column;
import io.pgingest.event.SourceTable;
import io.pgingest.event.WriteMode;
import io.pgingest.mapping.TypeMapping;
import io.pgingest.pipeline.QueryMode;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The SQL of one query mode over one table. Every page query selects the table's columns
 * (through {@link TypeMapping#selectExpression}) followed by the text of the cursor columns,
 * so a cursor can be parsed back by PostgreSQL exactly ({@code ?::type}). Pages are keyset
 * pages, never OFFSET. Instances are immutable.
 */
public abstract sealed class TableQuery
        permits FullLoadQuery, DeltaTimestampQuery, AppendOnlyQuery, ChangeDataCaptureQuery {

    protected final TableInfo table;
    protected final List<Column> columns;
    protected final List<Column> cursorColumns;
    private final String selectList;

    protected TableQuery(TableInfo table, List<Column> resolvedColumns, List<Column> cursorColumns) {
        this(table, resolvedColumns, cursorColumns, java.util.Set.of());
    }

    /** With the values of the columns {@code atUtc} names (time with time zone) selected at UTC, the same instant. */
    protected TableQuery(TableInfo table, List<Column> resolvedColumns, List<Column> cursorColumns, java.util.Set<String> atUtc) {
        this.table = table;
        this.columns = List.copyOf(resolvedColumns);
        List<Column> cursor = List.copyOf(cursorColumns);
        this.cursorColumns = cursor;
        List<String> items = new ArrayList<>();
        for (Column c : columns) {
            items.add(atUtc.contains(c.name()) ? "(" + q(c.name()) + " AT TIME ZONE 'UTC') AS " + q(c.name())
                    : TypeMapping.selectExpression(c));
        }
        for (int i = 0; i < cursor.size(); i++) {
            items.add(col(cursor.get(i)) + "::text AS \"__pgingest_cursor_" + i + '"');
        }
        this.selectList = String.join(", ", items);
    }

    /** Builds the query for a table and mode; the mode's columns must have been validated. */
    public static TableQuery of(TableInfo table, List<Column> resolvedColumns, QueryMode mode) {
        return switch (mode.kind()) {
            case FULL_LOAD -> new FullLoadQuery(table, resolvedColumns);
            case DELTA_TIMESTAMP -> new DeltaTimestampQuery(table, resolvedColumns, mode);
            case APPEND_ONLY -> new AppendOnlyQuery(table, resolvedColumns, mode);
            case CDC -> new ChangeDataCaptureQuery(table, resolvedColumns, mode);
        };
    }

    /** The same table read by key (Full Load pages): how incremental modes make their historical load. */
    public FullLoadQuery byKey() {
        return new FullLoadQuery(table, columns);
    }

    /** Whether the table has a key to page by. */
    public boolean keyed() {
        return !table.keyColumns().isEmpty();
    }

    /** Whether runs read the whole table (Full Load) rather than what is new since the cursor. */
    public abstract boolean fullLoad();

    /** How the destination applies this object's rows. */
    public abstract WriteMode writeMode();

    /** The destination key (source column names); empty for APPEND and REPLACE_RUN. */
    public abstract List<String> keyColumns();

    /**
     * A query returning, in the current snapshot, the text of the cursor columns at the
     * highest row after the cursor (no row when there is nothing new), then the open
     * transaction ids of that snapshot as a {@code bigint[]}. Parameters: the cursor values
     * when {@code hasLower}. Null for Full Load.
     */
    public abstract String ceilingSql(boolean hasLower);

    /**
     * The next page after the cursor (parameters: cursor values when {@code hasLower}, then
     * ceiling values for incremental modes, then the page size).
     */
    public abstract String pageSql(boolean hasLower);

    /**
     * The parameters of {@link #pageSql} in order: cursor values ({@code lower}, empty on the
     * first page), ceiling values (empty for Full Load), then the page size.
     */
    public List<Object> pageParameters(List<String> lower, List<String> ceiling, int limit) {
        List<Object> p = new ArrayList<>(lower);
        p.addAll(ceiling);
        p.add(limit);
        return p;
    }

    public List<Column> columns() {
        return columns;
    }

    public int cursorColumnCount() {
        return cursorColumns.size();
    }

    public SourceTable source() {
        return table.table();
    }

    protected String selectList() {
        return selectList;
    }

    /**
     * The table under the alias {@link #ALIAS}. Conditions and ORDER BY name columns through the
     * alias: a bare name in ORDER BY would mean the output column of that name, which may be a
     * cast (text sorts differently from the column's type). {@link #only}.
     */
    protected String from() {
        return only(table) + table.table().quoted() + " AS " + ALIAS;
    }

    /**
     * {@code ONLY } for an ordinary table, so that the rows of tables inheriting from it (INHERITS), which are objects of
     * their own and whose changes logical replication sends as theirs, are not read as its rows too; nothing for a
     * partitioned table, whose rows are its partitions'.
     */
    public static String only(TableInfo table) {
        return table.partitioned() ? "" : "ONLY ";
    }

    protected static final String ALIAS = "__pgingest_src";

    /** A column of the table, qualified by the alias. */
    protected static String col(Column c) {
        return ALIAS + "." + q(c.name());
    }

    /** {@code (t."a", t."b")}. */
    protected String tuple() {
        return "(" + cursorColumns.stream().map(TableQuery::col).collect(Collectors.joining(", ")) + ")";
    }

    /** {@code (?::type_a, ?::type_b)}. */
    protected String parameterTuple() {
        return "(" + cursorColumns.stream().map(c -> "?::" + c.sourceType()).collect(Collectors.joining(", ")) + ")";
    }

    protected String orderBy(String direction) {
        return cursorColumns.stream().map(c -> col(c) + direction).collect(Collectors.joining(", "));
    }

    protected static String q(String identifier) {
        return SourceTable.quote(identifier);
    }

    /** The table's columns of these names, in this order. */
    protected static List<Column> columnsNamed(TableInfo table, List<String> names) {
        return names.stream().map(table::column).toList();
    }

    /**
     * Ceiling of a mode paged by the tuple of its cursor columns (the first being the
     * timestamp or incrementing column): the highest tuple after the cursor.
     */
    protected String tupleCeilingSql(boolean hasLower, String extraCondition) {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < cursorColumns.size(); i++) {
            texts.add(col(cursorColumns.get(i)) + "::text AS \"__pgingest_ceiling_" + i + '"');
        }
        return "SELECT " + String.join(", ", texts) + ", " + OPEN_XIDS + " FROM " + from()
                + " WHERE " + col(cursorColumns.get(0)) + " IS NOT NULL"
                + (hasLower ? " AND " + tuple() + " > " + parameterTuple() : "")
                + extraCondition + " ORDER BY " + orderBy(" DESC") + " LIMIT 1";
    }

    /** A page of a mode paged by the tuple of its cursor columns: after the cursor, up to the ceiling. */
    protected String tuplePageSql(boolean hasLower) {
        return "SELECT " + selectList() + " FROM " + from() + " WHERE "
                + (hasLower ? tuple() + " > " + parameterTuple() + " AND " : "") + tuple() + " <= " + parameterTuple()
                + " ORDER BY " + orderBy("") + " LIMIT ?";
    }

    protected static final String OPEN_XIDS = "array(SELECT txid_snapshot_xip(txid_current_snapshot()))";

    /** {@code AND col <= now() - delay} for modes with a delay. */
    protected static String delayBound(Column ts, long delayMillis) {
        return delayMillis <= 0 ? "" : " AND " + col(ts) + " <= (now() - interval '" + delayMillis
                + " milliseconds')::" + ts.sourceType();
    }
}
