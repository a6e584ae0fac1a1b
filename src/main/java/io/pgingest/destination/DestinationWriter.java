package io.pgingest.destination;

import io.pgingest.event.RowBatch;

/**
 * Writes batches to one destination database. {@link #write} returns only once the batch
 * is durably committed, in one transaction, or throws and leaves the destination as it was.
 * Implementations create tables and add columns as needed, and are safe for use by several
 * pipelines (threads) at once.
 */
public interface DestinationWriter extends AutoCloseable {

    /** Writes (and commits) one batch whose {@link RowBatch#target()} is set. */
    void write(RowBatch batch) throws Exception;

    @Override
    void close() throws Exception;
}
