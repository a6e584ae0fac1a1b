package io.pgingest.source.table;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Arrays;

/**
 * Waits until the transactions that were open when a poll's ceiling was taken have ended.
 * <p>Why: a transaction that began before the poll may have written a row whose cursor value
 * (a {@code now()} timestamp, a sequence id) is below the ceiling but that is not yet
 * visible. Cursor values from the database clock or a sequence are assigned while the
 * writing transaction runs, so every row at or below the ceiling was written by a
 * transaction that had committed, aborted, or was open (in the snapshot's xip list) when the
 * ceiling was read. Once those have ended, reading up to the ceiling sees all such rows.
 * Rows written later get values above the ceiling and belong to the next run.
 * <p>A transaction that has not written yet has no transaction id, so it is not in the snapshot's list, yet it may
 * already hold its cursor value ({@code now()} is its start; a sequence value taken by {@code nextval}) and write it
 * later. Such transactions are told by their virtual transaction ids, which {@code pg_locks} lists for every open
 * transaction (no privileges needed): those of the database's client sessions, other than pg-ingest's own, are read
 * right after the ceiling and waited for too (since the twentieth session; before, their rows were lost).
 */
final class LateCommitGuard {

    private LateCommitGuard() {
    }

    /**
     * Returns true once none of {@code xids} is in progress (by {@code txid_status}) and none of the virtual transactions
     * {@code vxids} is open (by {@code pg_locks}), false if some still are after {@code timeout}. Polls with a short
     * backoff; needs no privileges.
     */
    static boolean awaitEnded(Connection c, Array xids, String[] vxids, Duration timeout) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        return awaitNone(c, "SELECT array(SELECT x FROM unnest(?::bigint[]) x WHERE txid_status(x) = 'in progress')", "bigint",
                        Arrays.stream(toLongs(xids)).boxed().toArray(), deadline)
                && awaitNone(c, "SELECT array(SELECT DISTINCT l.virtualxid::text FROM pg_locks l WHERE l.locktype = 'virtualxid'"
                        + " AND l.virtualxid::text = ANY(?::text[]))", "text", vxids, deadline);
    }

    /** Runs {@code sql}, which keeps those of its array parameter still open, until it keeps none or the deadline passes. */
    private static boolean awaitNone(Connection c, String sql, String type, Object[] open, long deadline)
            throws SQLException, InterruptedException {
        long sleep = 20;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            while (open.length > 0) {
                ps.setArray(1, c.createArrayOf(type, open));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    open = (Object[]) rs.getArray(1).getArray();
                }
                if (open.length == 0) {
                    return true;
                }
                if (System.nanoTime() > deadline) {
                    return false;
                }
                Thread.sleep(sleep);
                sleep = Math.min(sleep * 2, 500);
            }
        }
        return true;
    }

    /**
     * The virtual transaction ids of the transactions open now in this database's client sessions, other than this
     * session's and other pg-ingest sessions' (whose reads would make a poll wait for another object's load).
     */
    static String[] openVirtualTransactions(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT array(SELECT l.virtualxid::text FROM pg_locks l"
                + " JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'virtualxid' AND l.granted"
                + " AND l.pid <> pg_backend_pid() AND a.backend_type = 'client backend'"
                + " AND a.datid = (SELECT oid FROM pg_database WHERE datname = current_database())"
                + " AND coalesce(a.application_name, '') NOT LIKE 'pg-ingest %')");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return (String[]) rs.getArray(1).getArray();
        }
    }

    static long[] toLongs(Array array) throws SQLException {
        if (array == null) {
            return new long[0];
        }
        Object[] values = (Object[]) array.getArray();
        long[] out = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = ((Number) values[i]).longValue();
        }
        return out;
    }
}
