package io.pgingest.source.logical;

import io.pgingest.catalog.TableInfo;
import io.pgingest.event.SourceTable;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Keeps a pipeline's publication holding exactly its included tables. pg-ingest manages the
 * publication itself (Debezium's autocreation is off) because Debezium's include list is a regex
 * over the selected schemas, so that a table added while streaming needs no engine restart: the
 * publication, not the include list, selects the tables. Stateless; the caller owns the connection.
 */
final class Publication {

    private Publication() {
    }

    /**
     * The publication's option that makes changes of a partition arrive as changes of its partitioned table (PostgreSQL
     * 13 and later; before, partitioned tables cannot be published). Without it the server sends them under the
     * partition's name, which is not a table of the pipeline: they were not written.
     */
    static final String VIA_ROOT = "publish_via_partition_root = true";

    /**
     * Creates the publication with {@code tables} when missing, else adds the missing ones and drops the others; either
     * way it publishes the changes of partitions as their partitioned table's.
     */
    static void sync(Connection c, String name, Collection<TableInfo> tables) throws SQLException {
        Set<String> wanted = tables.stream().map(Publication::qualified).collect(Collectors.toSet());
        boolean viaRootKnown = c.getMetaData().getDatabaseMajorVersion() >= 13;
        if (!exists(c, name)) {
            execute(c, "CREATE PUBLICATION " + SourceTable.quote(name)
                    + (wanted.isEmpty() ? "" : " FOR TABLE " + String.join(", ", wanted))
                    + (viaRootKnown ? " WITH (" + VIA_ROOT + ")" : ""));
            return;
        }
        if (viaRootKnown && tables.stream().anyMatch(TableInfo::partitioned)) {
            publishViaRoot(c, name);
        }
        Set<String> present = members(c, name);
        List<String> add = wanted.stream().filter(t -> !present.contains(t)).sorted().toList();
        List<String> drop = present.stream().filter(t -> !wanted.contains(t)).sorted().toList();
        if (!add.isEmpty()) {
            execute(c, "ALTER PUBLICATION " + SourceTable.quote(name) + " ADD TABLE " + String.join(", ", add));
        }
        if (!drop.isEmpty()) {
            execute(c, "ALTER PUBLICATION " + SourceTable.quote(name) + " DROP TABLE " + String.join(", ", drop));
        }
    }

    /**
     * Sets {@link #VIA_ROOT} on a publication made without it (by an earlier pg-ingest, or by hand): changes decoded from
     * now on arrive as the partitioned table's (earlier ones of its partitions were not written: a Restart Historical
     * Load of the table brings them). Only publications holding a partitioned table need it, so that one made by the
     * tables' owner, which pg-ingest's user may not alter, still serves other tables.
     */
    private static void publishViaRoot(Connection c, String name) throws SQLException {
        if (!publishesViaRoot(c, name)) {
            try {
                execute(c, "ALTER PUBLICATION " + SourceTable.quote(name) + " SET (" + VIA_ROOT + ")");
            } catch (SQLException e) {
                throw new SQLException("publication " + name + " holds a partitioned table but publishes its partitions'"
                        + " changes under their own names, which the pipeline would not write; fix: as its owner, ALTER"
                        + " PUBLICATION " + name + " SET (" + VIA_ROOT + "); (" + e.getMessage() + ")", e);
            }
        }
    }

    /**
     * Adds the tables that are not members yet (a member already: e.g. renamed), with one look at the members and one
     * {@code ALTER PUBLICATION} for all of them: a first start of a pipeline over thousands of tables adds them all.
     */
    static void add(Connection c, String name, Collection<TableInfo> tables) throws SQLException {
        if (tables.stream().anyMatch(TableInfo::partitioned) && c.getMetaData().getDatabaseMajorVersion() >= 13) {
            publishViaRoot(c, name);
        }
        Set<String> present = members(c, name);
        List<String> add = tables.stream().map(Publication::qualified).filter(t -> !present.contains(t)).distinct().toList();
        if (!add.isEmpty()) {
            execute(c, "ALTER PUBLICATION " + SourceTable.quote(name) + " ADD TABLE " + String.join(", ", add));
        }
    }

    /** The member tables as quoted {@code "schema"."table"}. */
    static Set<String> members(Connection c, String name) throws SQLException {
        String sql = "SELECT n.nspname, r.relname FROM pg_publication p JOIN pg_publication_rel pr ON pr.prpubid = p.oid"
                + " JOIN pg_class r ON r.oid = pr.prrelid JOIN pg_namespace n ON n.oid = r.relnamespace WHERE p.pubname = ?";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, name);
            Set<String> out = new HashSet<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(SourceTable.quote(rs.getString(1)) + "." + SourceTable.quote(rs.getString(2)));
                }
            }
            return out;
        }
    }

    private static boolean publishesViaRoot(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pubviaroot FROM pg_publication WHERE pubname = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private static boolean exists(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_publication WHERE pubname = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static String qualified(TableInfo t) {
        return SourceTable.quote(t.table().schema()) + "." + SourceTable.quote(t.table().table());
    }

    private static void execute(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new SQLException("cannot update the publication (" + sql + "): " + e.getMessage()
                    + "; the source user must own the publication and the tables, or be a superuser", e.getSQLState(), e);
        }
    }
}
