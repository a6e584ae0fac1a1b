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
    REPLACE_RUN
}
