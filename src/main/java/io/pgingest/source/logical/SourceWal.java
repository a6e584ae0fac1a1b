package io.pgingest.source.logical;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Small catalog and WAL queries of the logical-replication mode. Stateless; the caller owns the connection. */
final class SourceWal {

    private SourceWal() {
    }

    static String walLevel(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW wal_level")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** The current WAL insert position as a number. */
    static long currentLsn(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")) {
            rs.next();
            return rs.getBigDecimal(1).longValueExact();
        }
    }

    /** A snapshot taken now ({@code txid_current_snapshot()}): which transactions had committed at this moment. */
    static LoadSnapshot currentSnapshot(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT txid_current_snapshot()::text")) {
            rs.next();
            return LoadSnapshot.parse(rs.getString(1));
        }
    }

    /**
     * Writes a logical decoding message with {@code prefix} and no content in a transaction of its own: a few bytes of
     * WAL and no table (pgoutput sends such messages from PostgreSQL 14 on). It marks a point in the stream: it is
     * sent in commit order, after every transaction committed before it. Transactional because its commit flushes the
     * WAL: a message outside a transaction (PostgreSQL 15) waits in the WAL buffers until something else flushes them,
     * up to the WAL writer's next round, and a client reads only flushed WAL.
     */
    static void emitMessage(Connection c, String prefix) throws SQLException {
        if (!c.getAutoCommit()) {
            throw new SQLException("the connection is inside a transaction: the message would wait for its commit");
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_logical_emit_message(true, ?, '')")) {
            ps.setString(1, prefix);
            ps.execute();
        }
    }

    /** Whether the replication slot exists on the server. */
    static boolean slotExists(Connection c, String slot) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /**
     * Creates the pipeline's replication slot (pgoutput) when it is missing; returns whether it did. A slot that
     * exists is kept (Debezium checks its plugin). Creating waits for the transactions running at that moment to
     * end, as every logical slot creation does. The slot comes before any read of existing rows: every change
     * committed after those reads is then in the slot.
     */
    static boolean ensureSlot(Connection c, String slot) throws SQLException {
        if (slotExists(c, slot)) {
            return false;
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_create_logical_replication_slot(?, 'pgoutput')")) {
            ps.setString(1, slot);
            ps.execute();
        }
        return true;
    }

    /**
     * Whether the client streaming from {@code slot} reported having read the stream up to {@code lsn}
     * ({@code write_lsn}: the position of the last message or keepalive it received).
     */
    static boolean readPast(Connection c, String slot, long lsn) throws SQLException {
        String sql = "SELECT s.write_lsn - '0/0'::pg_lsn >= ? FROM pg_replication_slots r JOIN pg_stat_replication s"
                + " ON s.pid = r.active_pid WHERE r.slot_name = ? AND s.state = 'streaming'";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, lsn);
            ps.setString(2, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    /**
     * {@code relreplident} per table OID: d(efault), n(othing), f(ull), i(ndex). A partitioned table's changes are made to
     * its partitions, whose own replica identity decides what the WAL holds (and whether an UPDATE may run once the table
     * is published): one whose every partition is FULL counts as FULL, whatever the table itself says. An index identity
     * whose index is gone (dropped since) identifies nothing, as PostgreSQL treats it: n (found by the twenty-second
     * session's probe: such a table was published, and its UPDATEs failed at the source).
     */
    static Map<Long, Character> replicaIdentities(Connection c, List<Long> oids) throws SQLException {
        Map<Long, Character> out = new HashMap<>();
        Array array = c.createArrayOf("int8", oids.toArray());
        try (PreparedStatement ps = c.prepareStatement("SELECT c.oid::int8, CASE WHEN c.relkind = 'p' AND EXISTS ("
                + "SELECT 1 FROM pg_partition_tree(c.oid) t WHERE t.isleaf) AND NOT EXISTS (SELECT 1 FROM pg_partition_tree(c.oid) t"
                + " JOIN pg_class l ON l.oid = t.relid WHERE t.isleaf AND l.relreplident <> 'f') THEN 'f'"
                + " WHEN c.relreplident = 'i' AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid"
                + " AND i.indisreplident) THEN 'n' ELSE c.relreplident END"
                + " FROM pg_class c WHERE c.oid::int8 = ANY(?)")) {
            ps.setArray(1, array);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getLong(1), rs.getString(2).charAt(0));
                }
            }
        }
        return out;
    }
}
