package io.pgingest.source.logical;

import java.util.HashSet;
import java.util.Set;

/**
 * The snapshot a table's load began with, as {@code txid_current_snapshot()} prints it ({@code xmin:xmax:xip,...},
 * transaction ids with their epoch): the snapshot of the whole-table read of a table without key, or the one taken
 * before the first page of a keyed table's load (every page reads after it). The loaded rows hold every change of the
 * transactions the snapshot sees, and the slot may still hold some of them (committed after the slot was made, before
 * the read of a table loaded again, or to a table dropped and re-created while the pipeline was stopped): such a
 * change, streamed after the load, is in the loaded rows already: it is not appended again to a table without key, and
 * is written below the loaded rows' {@code position} to a keyed table (it then changes only rows the load did not write).
 *
 * @param xmin       the oldest transaction still running at the snapshot: every older one had ended
 * @param xmax       the first transaction id not yet assigned: this one and newer ones had not ended
 * @param inProgress transactions between the two still running
 * @param position   the {@code _pgingest_position} of a keyed table's loaded rows; 0 when not known (such changes are then
 *                   not written at all)
 */
record LoadSnapshot(long xmin, long xmax, Set<Long> inProgress, long position) {

    LoadSnapshot(long xmin, long xmax, Set<Long> inProgress) {
        this(xmin, xmax, inProgress, 0);
    }

    /** The same snapshot, noting the position the load wrote its rows with. */
    LoadSnapshot at(long loadPosition) {
        return new LoadSnapshot(xmin, xmax, inProgress, loadPosition);
    }

    /**
     * Parses {@code txid_current_snapshot()}'s text, or {@link #toString}'s (which may end with {@code @position}); fails
     * saying what it got.
     */
    static LoadSnapshot parse(String text) {
        long position = 0;
        if (text != null && text.indexOf('@') >= 0) {
            position = Long.parseLong(text.substring(text.indexOf('@') + 1).trim());
            text = text.substring(0, text.indexOf('@'));
        }
        String[] parts = text == null ? new String[0] : text.trim().split(":", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException("not a transaction snapshot (xmin:xmax:xip,...): '" + text + "'");
        }
        Set<Long> running = new HashSet<>();
        for (String xid : parts[2].split(",")) {
            if (!xid.isBlank()) {
                running.add(Long.parseLong(xid.trim()));
            }
        }
        return new LoadSnapshot(Long.parseLong(parts[0]), Long.parseLong(parts[1]), Set.copyOf(running), position);
    }

    /**
     * Whether the snapshot sees the changes of the committed transaction {@code xid}, given as logical decoding gives
     * it (32 bits, no epoch): it is placed within 2^31 of {@code xmax}, as the server compares transaction ids.
     */
    boolean sees(long xid) {
        long full = full(xid);
        return full < xmin || full < xmax && !inProgress.contains(full);
    }

    /**
     * Whether the transaction {@code xid} began after the snapshot was taken. The stream sends transactions in commit
     * order, and every transaction the snapshot sees had committed before it was taken: none comes after such a one.
     */
    boolean beganAfter(long xid) {
        return full(xid) >= xmax;
    }

    private long full(long xid) {
        return xmax + (int) ((xid & 0xFFFF_FFFFL) - (xmax & 0xFFFF_FFFFL));
    }

    @Override
    public String toString() {
        return xmin + ":" + xmax + ":" + String.join(",", inProgress.stream().sorted().map(String::valueOf).toList())
                + (position > 0 ? "@" + position : "");
    }
}
