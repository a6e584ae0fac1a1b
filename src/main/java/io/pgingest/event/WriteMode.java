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
     * The source table was truncated at the batch's position (logical replication): every row of the destination
     * table written before ({@code _pgingest_position} smaller, and of the batch's {@code _pgingest_database} under
     * Merge Tables) is soft-deleted ({@code _pgingest_deleted} true, {@code _pgingest_position} the batch's). The
     * batch holds no rows; a destination table that does not exist is left so.
     */
    TRUNCATE
}
