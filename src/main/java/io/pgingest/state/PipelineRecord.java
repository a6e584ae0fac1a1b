package io.pgingest.state;

import java.time.Instant;

/**
 * The persisted status of a pipeline as a whole (per-object state is in {@link ObjectRecord}). Today it holds what
 * the logical-replication mode's slot monitor last saw: the WAL the pipeline's replication slot retains on the source.
 *
 * @param pipeline         pipeline name
 * @param walRetainedBytes WAL retained by the pipeline's replication slot when last checked, or null (no slot, or
 *                         the slot had no restart position)
 * @param message          the last check in words, a warning, or an error reading it; null when none
 * @param updatedAt        when the record was last written
 */
public record PipelineRecord(String pipeline, Long walRetainedBytes, String message, Instant updatedAt) {
}
