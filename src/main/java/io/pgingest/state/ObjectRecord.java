package io.pgingest.state;

import java.time.Instant;

/**
 * The persisted state of one object of one pipeline.
 *
 * @param pipeline  pipeline name
 * @param object    object name as {@code schema.table} (exact, unquoted)
 * @param tableOid  the source table's OID when last seen; a different OID means dropped and re-created
 * @param status    included, skipped or paused
 * @param progress  load progress
 * @param queryMode the query mode spec the object runs with (table mode), or null
 * @param message   last error or note for operators, or null
 * @param updatedAt when the record was last written
 */
public record ObjectRecord(String pipeline, String object, long tableOid, ObjectStatus status,
                           ObjectProgress progress, String queryMode, String message, Instant updatedAt) {

    /** The same object with another status, progress and message, updated now. */
    public ObjectRecord withStatus(ObjectStatus newStatus, ObjectProgress newProgress, String newMessage) {
        return new ObjectRecord(pipeline, object, tableOid, newStatus, newProgress, queryMode, newMessage, Instant.now());
    }

    public ObjectRecord withProgress(ObjectProgress newProgress, String newMessage) {
        return new ObjectRecord(pipeline, object, tableOid, status, newProgress, queryMode, newMessage, Instant.now());
    }
}
