package io.pgingest.source;

import io.pgingest.event.RowBatch;

/**
 * Where a source hands its batches: in a route, the rest of the route (mapping, naming,
 * destination). {@link #accept} returns only once the batch is committed at the destination
 * and throws when it was not; a source advances its position only after it returned.
 */
@FunctionalInterface
public interface BatchSink {
    void accept(RowBatch batch) throws Exception;
}
