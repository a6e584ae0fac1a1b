package io.pgingest.catalog;

import io.pgingest.event.Column;
import io.pgingest.event.SourceTable;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads which tables a source database has and what they look like, from the PostgreSQL
 * system catalogs: the tables pg-ingest can replicate (ordinary, unlogged and partitioned
 * roots; never partitions, views, materialized views, foreign, temporary or system tables),
 * their columns and their key. A few queries serve any number of tables. Stateless; the
 * caller owns the connection.
 */
public final class Catalog {

    private Catalog() {
    }

    /**
     * The replicable tables of the given schemas (all non-system schemas when {@code schemas} is
     * empty or null), ordered by schema then table (byte order).
     *
     * @param database the database the connection is connected to, recorded in each {@link SourceTable}
     * @throws CatalogException when the catalog cannot be read
     */
    public static List<TableInfo> listTables(Connection c, String database, List<String> schemas) {
        boolean all = schemas == null || schemas.isEmpty();
        String sql = CatalogQueries.TABLES + CatalogQueries.REPLICABLE
                + (all ? "" : " AND n.nspname = ANY(?)") + CatalogQueries.ORDER_BY_NAME;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            if (!all) {
                ps.setArray(1, c.createArrayOf("text", schemas.toArray()));
            }
            return describeAll(c, database, ps);
        } catch (SQLException e) {
            throw new CatalogException("cannot list the tables of database " + database + ": " + e.getMessage()
                    + " (the source user needs USAGE on the schemas; the catalogs are readable by every user)", e);
        }
    }

    /**
     * One table by exact (case-sensitive, unquoted) schema and name.
     *
     * @throws CatalogException when it does not exist or is not a replicable table (a view,
     *                          a partition, ...); the message says what to name or use instead
     */
    public static TableInfo describe(Connection c, String database, String schema, String table) {
        String name = schema + "." + table;
        try {
            rejectIfNotReplicable(c, database, schema, table);
            try (PreparedStatement ps = c.prepareStatement(CatalogQueries.TABLES
                    + "n.nspname = ? AND c.relname = ? AND " + CatalogQueries.REPLICABLE)) {
                ps.setString(1, schema);
                ps.setString(2, table);
                List<TableInfo> found = describeAll(c, database, ps);
                if (found.isEmpty()) {
                    throw new CatalogException("table " + name + " disappeared from database " + database
                            + " while it was being described; check whether it is being dropped and re-created");
                }
                return found.get(0);
            }
        } catch (SQLException e) {
            throw new CatalogException("cannot describe " + name + " in database " + database + ": "
                    + e.getMessage(), e);
        }
    }

    private static void rejectIfNotReplicable(Connection c, String database, String schema, String table)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(CatalogQueries.LOOKUP)) {
            ps.setString(1, table);
            ps.setString(2, schema);
            ps.setString(3, schema);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new CatalogException(Rejections.notFound(database, schema, table,
                            closeNames(c, schema, table)));
                }
                String reason = Rejections.reason(schema + "." + table, database, rs.getString(1).charAt(0),
                        rs.getString(2).charAt(0), rs.getBoolean(3), rs.getString(4), rs.getString(5));
                if (reason != null) {
                    throw new CatalogException(reason);
                }
            }
        }
    }

    private static List<String> closeNames(Connection c, String schema, String table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(CatalogQueries.CLOSE_NAMES)) {
            ps.setString(1, table);
            ps.setString(2, schema);
            ps.setString(3, table);
            List<String> names = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
            return names;
        }
    }

    /** Runs a {@link CatalogQueries#TABLES} query, then one query for all their columns and one for all keys. */
    private static List<TableInfo> describeAll(Connection c, String database, PreparedStatement tables)
            throws SQLException {
        Map<Long, TableRow> rows = new LinkedHashMap<>();
        try (ResultSet rs = tables.executeQuery()) {
            while (rs.next()) {
                rows.put(rs.getLong(1), new TableRow(new SourceTable(database, rs.getString(2), rs.getString(3)),
                        rs.getLong(1), rs.getBoolean(4), rs.getBoolean(5), rs.getLong(6)));
            }
        }
        if (rows.isEmpty()) {
            return List.of();
        }
        Array oids = c.createArrayOf("int8", rows.keySet().toArray());
        Map<Long, List<Column>> columns = columns(c, oids);
        Map<Long, Key> keys = keys(c, oids);
        List<TableInfo> out = new ArrayList<>(rows.size());
        for (TableRow r : rows.values()) {
            Key key = keys.getOrDefault(r.oid(), Key.NONE);
            out.add(new TableInfo(r.table(), r.oid(), r.partitioned(), r.unlogged(),
                    columns.getOrDefault(r.oid(), List.of()), key.columns(), key.primary(), r.estimatedRows(), key.deferrable()));
        }
        return out;
    }

    /**
     * The columns of the table of OID {@code oid} as {@link #describe} gives them (name, source type, nullable), in their
     * order; empty when the table is gone.
     */
    public static List<Column> columnsOf(Connection c, long oid) throws SQLException {
        Array oids = c.createArrayOf("bigint", new Object[] {oid});
        return columns(c, oids).getOrDefault(oid, List.of());
    }

    private static Map<Long, List<Column>> columns(Connection c, Array oids) throws SQLException {
        Map<Long, List<Column>> out = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(CatalogQueries.COLUMNS)) {
            ps.setArray(1, oids);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    // Precision and scale stay -1: the type mapper parses them from the source type.
                    out.computeIfAbsent(rs.getLong(1), k -> new ArrayList<>())
                            .add(new Column(rs.getString(2), rs.getString(3), null, -1, -1, rs.getBoolean(4)));
                }
            }
        }
        return out;
    }

    /** The first candidate per table wins: rows come primary key first, then unique indexes by name. */
    private static Map<Long, Key> keys(Connection c, Array oids) throws SQLException {
        Map<Long, Key> out = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(CatalogQueries.KEYS)) {
            ps.setArray(1, oids);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long oid = rs.getLong(1);
                    if (!out.containsKey(oid)) {
                        String[] names = (String[]) rs.getArray(3).getArray();
                        out.put(oid, new Key(List.of(names), rs.getBoolean(2), rs.getBoolean(4)));
                    }
                }
            }
        }
        return out;
    }

    private record TableRow(SourceTable table, long oid, boolean partitioned, boolean unlogged, long estimatedRows) {
    }

    private record Key(List<String> columns, boolean primary, boolean deferrable) {
        static final Key NONE = new Key(List.of(), false, false);
    }
}
