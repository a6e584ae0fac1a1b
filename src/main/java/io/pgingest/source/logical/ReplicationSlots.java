package io.pgingest.source.logical;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

/**
 * Reads and drops a pipeline's replication slot and publication on its source. Dropping is the "delete pipeline"
 * operation's alone: nothing else in pg-ingest drops a slot or a publication. Stateless; the caller owns the
 * connection.
 */
public final class ReplicationSlots {

    /** The current WAL position, also on a standby (where logical slots exist from PostgreSQL 16). */
    private static final String CURRENT_LSN =
            "CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END";

    private ReplicationSlots() {
    }

    /** The slot's state; empty when the server has no slot of that name. */
    public static Optional<SlotState> describe(Connection c, String slot) throws SQLException {
        String sql = "SELECT active, active_pid, pg_wal_lsn_diff(" + CURRENT_LSN + ", restart_lsn)::bigint,"
                + " pg_wal_lsn_diff(" + CURRENT_LSN + ", confirmed_flush_lsn)::bigint, wal_status"
                + " FROM pg_replication_slots WHERE slot_name = ?";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new SlotState(slot, rs.getBoolean(1), (Integer) rs.getObject(2),
                        (Long) rs.getObject(3), (Long) rs.getObject(4), rs.getString(5)));
            }
        }
    }

    /**
     * Drops the slot. Fails (SQLSTATE 55006, object in use) when a client streams from it: PostgreSQL never drops an
     * active slot, so a running pipeline cannot lose its slot to this.
     */
    public static void drop(Connection c, String slot) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
            ps.setString(1, slot);
            ps.execute();
        }
    }

    /** Drops the publication; returns whether it existed. */
    public static boolean dropPublication(Connection c, String publication) throws SQLException {
        boolean existed;
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_publication WHERE pubname = ?")) {
            ps.setString(1, publication);
            try (ResultSet rs = ps.executeQuery()) {
                existed = rs.next();
            }
        }
        if (existed) {
            try (Statement s = c.createStatement()) {
                s.execute("DROP PUBLICATION IF EXISTS " + io.pgingest.event.SourceTable.quote(publication));
            }
        }
        return existed;
    }
}
