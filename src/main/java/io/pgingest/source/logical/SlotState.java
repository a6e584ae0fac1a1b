package io.pgingest.source.logical;

import java.util.Locale;

/**
 * A replication slot as {@code pg_replication_slots} reports it, with the WAL it holds back measured from the
 * server's current WAL position (the last replayed one on a standby).
 *
 * @param slot          slot name
 * @param active        whether a client (a running pipeline) is streaming from it
 * @param activePid     the server process of that client, or null
 * @param retainedBytes WAL the slot keeps on the server's disk ({@code restart_lsn} to the current position), or
 *                      null when the slot has no restart position (e.g. invalidated: {@code wal_status = lost})
 * @param unconfirmedBytes WAL not yet confirmed by the client ({@code confirmed_flush_lsn} to the current position),
 *                      or null
 * @param walStatus     {@code reserved}, {@code extended}, {@code unreserved} or {@code lost}
 */
public record SlotState(String slot, boolean active, Integer activePid, Long retainedBytes, Long unconfirmedBytes,
                        String walStatus) {

    /** A byte count for people: {@code 512 B}, {@code 12.3 MB}, {@code 1.5 GB} (powers of 1024). */
    public static String formatBytes(long bytes) {
        String[] units = {"B", "kB", "MB", "GB", "TB"};
        double value = bytes;
        int unit = 0;
        while (Math.abs(value) >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }

    /** The retained WAL for people, or {@code unknown}. */
    public String retainedText() {
        return retainedBytes == null ? "unknown (" + walStatus + ")" : formatBytes(retainedBytes);
    }
}
