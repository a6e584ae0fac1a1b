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
 */
final class LateCommitGuard {

    private LateCommitGuard() {
    }

    /**
     * Returns true once none of {@code xids} is in progress, false if some still are after
     * {@code timeout}. Polls with a short backoff; uses {@code txid_status} (no privileges needed).
     */
    static boolean awaitEnded(Connection c, Array xids, Duration timeout) throws SQLException, InterruptedException {
        long[] open = toLongs(xids);
        if (open.length == 0) {
            return true;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        long sleep = 20;
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT array(SELECT x FROM unnest(?::bigint[]) x WHERE txid_status(x) = 'in progress')")) {
            while (true) {
                ps.setArray(1, c.createArrayOf("bigint", Arrays.stream(open).boxed().toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    open = toLongs(rs.getArray(1));
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
