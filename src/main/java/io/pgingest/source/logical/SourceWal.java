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

    /** Whether the WAL sender of {@code slot} is streaming and has sent the WAL up to {@code lsn}. */
    static boolean sentPast(Connection c, String slot, long lsn) throws SQLException {
        String sql = "SELECT s.sent_lsn - '0/0'::pg_lsn >= ? FROM pg_replication_slots r JOIN pg_stat_replication s"
                + " ON s.pid = r.active_pid WHERE r.slot_name = ? AND s.state = 'streaming'";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, lsn);
            ps.setString(2, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    /** Whether {@code slot} exists and has reached its consistent point (changes after this are decoded). */
    static boolean slotConsistent(Connection c, String slot) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT confirmed_flush_lsn IS NOT NULL FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    /**
     * Writes a transactional logical decoding message (committed at once when {@code c} auto-commits);
     * every slot of the database receives it after the transactions committed before it.
     */
    static void emitMessage(Connection c, String prefix, String content) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_logical_emit_message(true, ?, ?)")) {
            ps.setString(1, prefix);
            ps.setString(2, content);
            ps.executeQuery().close();
        }
        if (!c.getAutoCommit()) {
            c.commit();
        }
    }

    /** {@code relreplident} per table OID: d(efault), n(othing), f(ull), i(ndex). */
    static Map<Long, Character> replicaIdentities(Connection c, List<Long> oids) throws SQLException {
        Map<Long, Character> out = new HashMap<>();
        Array array = c.createArrayOf("int8", oids.toArray());
        try (PreparedStatement ps = c.prepareStatement("SELECT oid::int8, relreplident FROM pg_class WHERE oid::int8 = ANY(?)")) {
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
