package io.pgingest.catalog;

/**
 * The catalog queries behind {@link Catalog}. Each one covers all requested tables at once
 * (filtered by an {@code oid[]} parameter), because databases can hold thousands of tables.
 */
final class CatalogQueries {

    /** Schemas that never hold user data: pg_catalog, pg_toast, temporary schemas (pg_temp_N), information_schema. */
    static final String USER_SCHEMA = "n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'";

    /** Ordinary and partitioned tables that can be replicated: no partitions, no temporary tables. */
    static final String REPLICABLE = "c.relkind IN ('r', 'p') AND NOT c.relispartition"
            + " AND c.relpersistence IN ('p', 'u') AND " + USER_SCHEMA;

    /**
     * Tables with their planner estimate; reltuples is -1 before the first ANALYZE (PostgreSQL 14+)
     * and 0 on a partitioned root, so roots sum their leaf partitions. Append a WHERE clause.
     */
    static final String TABLES = "SELECT c.oid, n.nspname, c.relname, c.relkind = 'p', c.relpersistence = 'u',"
            + " CASE WHEN c.relkind = 'p' THEN (SELECT coalesce(sum(greatest(leaf.reltuples, 0)), 0)"
            + "   FROM pg_partition_tree(c.oid) tree JOIN pg_class leaf ON leaf.oid = tree.relid WHERE tree.isleaf)"
            + " ELSE greatest(c.reltuples, 0) END::bigint"
            + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ";

    static final String ORDER_BY_NAME = " ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\"";

    /**
     * Columns in attnum order, dropped and system columns left out. A domain resolves to its
     * innermost base type with that domain's typmod (a domain cannot carry its own typmod, so
     * the column's atttypmod is -1 then); an array of a domain resolves to the base's array type.
     * Parameter: oid[] of the tables.
     */
    static final String COLUMNS = "WITH RECURSIVE dom AS ("
            + " SELECT t.oid, t.typbasetype AS base, t.typtypmod AS typmod, t.typnotnull AS notnull"
            + " FROM pg_type t JOIN pg_type b ON b.oid = t.typbasetype WHERE t.typtype = 'd' AND b.typtype <> 'd'"
            + " UNION ALL"
            + " SELECT t.oid, dom.base, dom.typmod, dom.notnull OR t.typnotnull"
            + " FROM pg_type t JOIN dom ON t.typbasetype = dom.oid WHERE t.typtype = 'd')"
            + " SELECT a.attrelid, a.attname,"
            + " CASE WHEN d.oid IS NOT NULL THEN format_type(d.base, d.typmod)"
            + "      WHEN ed.oid IS NOT NULL THEN format_type(eb.typarray, ed.typmod)"
            + "      ELSE format_type(a.atttypid, a.atttypmod) END,"
            + " NOT a.attnotnull AND NOT coalesce(d.notnull, false)"
            + " FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid"
            + " LEFT JOIN dom d ON d.oid = a.atttypid"
            + " LEFT JOIN dom ed ON ed.oid = ty.typelem AND ty.typcategory = 'A'"
            + " LEFT JOIN pg_type eb ON eb.oid = ed.base"
            + " WHERE a.attrelid = ANY(?::oid[]) AND a.attnum > 0 AND NOT a.attisdropped"
            + " ORDER BY a.attrelid, a.attnum";

    /**
     * Candidate keys: the primary key (on a partitioned root, its partitioned index) and valid
     * unique indexes without predicate or expression whose key columns are all NOT NULL: the replica identity index
     * first ({@code REPLICA IDENTITY USING INDEX}, also when the table has a primary key: the WAL identifies a deleted
     * or re-keyed row by that index's columns only, so logical replication must key its rows by them), then the primary
     * key, then by index name. INCLUDE columns are not key columns. The fourth column says whether the index's uniqueness
     * is checked at the end of the statement or transaction ({@code DEFERRABLE}) instead of at each row. Parameter:
     * oid[] of the tables.
     */
    static final String KEYS = "SELECT i.indrelid, i.indisprimary,"
            + " ARRAY(SELECT a.attname::text FROM generate_series(0, i.indnkeyatts - 1) k(ord)"
            + "   JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[k.ord] ORDER BY k.ord),"
            + " NOT i.indimmediate"
            + " FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid"
            + " WHERE i.indrelid = ANY(?::oid[]) AND (i.indisprimary OR (i.indisunique AND i.indisvalid"
            + "   AND i.indpred IS NULL AND i.indexprs IS NULL AND NOT EXISTS ("
            + "     SELECT 1 FROM generate_series(0, i.indnkeyatts - 1) k(ord) JOIN pg_attribute a"
            + "     ON a.attrelid = i.indrelid AND a.attnum = i.indkey[k.ord] WHERE NOT a.attnotnull)))"
            + " ORDER BY i.indrelid, i.indisreplident DESC, i.indisprimary DESC, ic.relname COLLATE \"C\"";

    /**
     * Any relation of that name, whatever its kind, to explain why it cannot be replicated.
     * {@code pg_temp} means this session's temporary schema, as in SQL. Parameters: table, schema, schema.
     */
    static final String LOOKUP = "SELECT c.relkind, c.relpersistence, c.relispartition, n.nspname,"
            + " CASE WHEN c.relispartition THEN (SELECT rn.nspname || '.' || r.relname FROM pg_class r"
            + "   JOIN pg_namespace rn ON rn.oid = r.relnamespace WHERE r.oid = pg_partition_root(c.oid)) END"
            + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE c.relname = ? AND (n.nspname = ? OR (? = 'pg_temp' AND n.oid = pg_my_temp_schema()))";

    /** Replicable tables whose names differ only in case, or that start with the name given. Parameters: table, schema, table. */
    static final String CLOSE_NAMES = "SELECT n.nspname || '.' || c.relname AS name FROM pg_class c"
            + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE " + REPLICABLE
            + " AND (lower(c.relname) = lower(?) OR (n.nspname = ? AND lower(c.relname) LIKE lower(?) || '%'))"
            + " ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\" LIMIT 5";

    private CatalogQueries() {
    }
}
