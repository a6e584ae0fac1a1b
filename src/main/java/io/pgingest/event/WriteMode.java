package io.pgingest.event;

/** How a destination applies the rows of a batch. */
public enum WriteMode {
    /** Insert or update by the batch's key columns; the last row of a key in a batch wins. */
    UPSERT,
    /** Append every row with a generated {@code _pgingest_id} (sources without a usable key). */
    APPEND,
    /**
     * Append, and when {@link RowBatch#endOfRun()} is set, delete the rows of earlier runs
     * (those with a smaller {@code _pgingest_position}): a Full Load of a table without key
     * replaces the previous copy only once the whole new copy is committed.
     */
    REPLACE_RUN,
    /**
     * Log-based batches of a table without key under {@code keylessTables: match} (REPLICA IDENTITY FULL): each row is
     * numbered by its change ({@link Metadata#CHANGE}); a row with {@code _pgingest_deleted} false adds one row of its
     * values (an insert, the new row of an update), one with true removes one live destination row whose
     * {@link RowBatch#keyColumns()} (here: the columns matched) all equal its values (a delete, the old row of an
     * update): that row is soft-deleted, and its {@link Metadata#DELETED_BY} gets the removal's number. Additions are
     * written before removals; an addition the table holds (a row with its number) or a removal it holds (a row deleted
     * by its number) is left out, so that changes read again after a restart are not applied twice.
     */
    MATCH,
    /**
     * The source table was truncated at the batch's position (logical replication): every row of the destination
     * table written before ({@code _pgingest_position} smaller, and of the batch's {@code _pgingest_database} under
     * Merge Tables) is soft-deleted ({@code _pgingest_deleted} true, {@code _pgingest_position} the batch's). The
     * batch holds no rows; a destination table that does not exist is left so.
     */
    TRUNCATE
}
