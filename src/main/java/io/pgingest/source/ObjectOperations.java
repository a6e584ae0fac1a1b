package io.pgingest.source;

import io.pgingest.source.logical.LogicalReplicationSource;
import io.pgingest.source.table.TableSource;
import io.pgingest.state.ObjectRecord;
import io.pgingest.state.ObjectStatus;
import io.pgingest.state.StateStore;

import java.time.Instant;

/**
 * The operator's "include", "skip", "pause" and "resume" of one object of a pipeline, recorded in the state store
 * and done by the pipeline. Including a skipped object (a table created while Include New Tables is off, one skipped at the
 * pipeline's creation or by an operator) loads its rows (historical load), then ingests it: a table-mode object at
 * its next run; a logical-replication table within about 15 s while the pipeline streams, or at its next start.
 * Skipping an included object stops its ingestion: a table-mode object from its next run; a logical-replication
 * table within about 15 s while streaming (its changes are no longer written) or at the next start, which also takes
 * it out of the publication. An operator's skip holds until an operator includes the object again, also when
 * 'objects' names it. The destination's rows stay as they are. Pausing is skipping for a while: a paused table-mode
 * object resumes from its cursor (nothing is loaded again; an incremental mode reads what changed meanwhile), a
 * paused logical-replication table is loaded again when resumed (the changes made while it was paused were not
 * written).
 */
public final class ObjectOperations {

    /** The message of an object skipped by an operator; the planners keep such an object skipped. */
    public static final String SKIPPED_BY_OPERATOR = "skipped by an operator";
    static final String PAUSED_BY_OPERATOR = "paused by an operator";

    private ObjectOperations() {
    }

    /**
     * Records that the object is included; returns a sentence saying what happens next.
     *
     * @throws IllegalArgumentException when the object is unknown or cannot be included (not selected by 'objects',
     *                                  or not replicable); nothing is changed then
     */
    public static String include(StateStore state, String pipeline, String object) {
        ObjectRecord record = find(state, pipeline, object);
        if (record.status() == ObjectStatus.INCLUDED) {
            return "object " + object + " of pipeline " + pipeline + " is included already; nothing changed";
        }
        String message = record.message() == null ? "" : record.message();
        boolean includable = record.status() == ObjectStatus.PAUSED || message.startsWith(SKIPPED_BY_OPERATOR)
                || message.contains("Include New Tables is off") || message.startsWith(TableSource.SKIPPED_AT_START);
        if (!includable) {
            throw new IllegalArgumentException("object " + object + " of pipeline " + pipeline + " is " + record.status()
                    + " (" + message + "); it cannot be included by this command: "
                    + (message.contains("not selected") ? "select it in the pipeline's 'objects'" : "fix the reason first"));
        }
        if (LogicalReplicationSource.MODE.equals(record.queryMode())) {
            LogicalReplicationSource.requestInclusion(state, record);
            return "object " + object + " is included: pipeline " + pipeline + " loads its rows and then streams its changes,"
                    + " within about 15 s if it is running, else at its next start";
        }
        TableSource.requestInclusion(state, record);
        return "object " + object + " is included: its historical load runs at the next run of pipeline " + pipeline;
    }

    /**
     * Records that an included object is paused; returns a sentence saying what happens next.
     *
     * @throws IllegalArgumentException when the object is unknown or not included
     */
    public static String pause(StateStore state, String pipeline, String object) {
        ObjectRecord record = find(state, pipeline, object);
        if (record.status() != ObjectStatus.INCLUDED) {
            throw new IllegalArgumentException("object " + object + " of pipeline " + pipeline + " is " + record.status()
                    + "; only an included object can be paused");
        }
        state.saveObject(record.withStatus(ObjectStatus.PAUSED, record.progress(), PAUSED_BY_OPERATOR + " at " + Instant.now()
                + "; --resume-object resumes it"));
        return "object " + object + " is paused: " + (logical(record)
                ? "pipeline " + pipeline + " stops writing its changes within about 15 s if it is running; resuming loads it again"
                : "the next runs of pipeline " + pipeline + " leave it out; resuming goes on from its cursor");
    }

    /**
     * Records that a paused object is resumed; returns a sentence saying what happens next.
     *
     * @throws IllegalArgumentException when the object is unknown or not paused
     */
    public static String resume(StateStore state, String pipeline, String object) {
        ObjectRecord record = find(state, pipeline, object);
        if (record.status() != ObjectStatus.PAUSED) {
            throw new IllegalArgumentException("object " + object + " of pipeline " + pipeline + " is " + record.status()
                    + "; only a paused object can be resumed" + (record.status() == ObjectStatus.SKIPPED
                    ? " (a skipped one is included with --include-object)" : ""));
        }
        if (logical(record)) {
            LogicalReplicationSource.requestInclusion(state, record);
            return "object " + object + " is resumed: pipeline " + pipeline + " loads its rows again (its changes while paused"
                    + " were not written) and then streams it, within about 15 s if it is running, else at its next start";
        }
        state.saveObject(record.withStatus(ObjectStatus.INCLUDED, record.progress(), "resumed by an operator at " + Instant.now()));
        return "object " + object + " is resumed: the next run of pipeline " + pipeline + " goes on from its cursor";
    }

    private static boolean logical(ObjectRecord record) {
        return LogicalReplicationSource.MODE.equals(record.queryMode());
    }

    /**
     * Records that the object is skipped; returns a sentence saying what happens next.
     *
     * @throws IllegalArgumentException when the pipeline does not know the object
     */
    public static String skip(StateStore state, String pipeline, String object) {
        ObjectRecord record = find(state, pipeline, object);
        if (record.status() == ObjectStatus.SKIPPED) {
            return "object " + object + " of pipeline " + pipeline + " is skipped already (" + record.message() + "); nothing changed";
        }
        state.saveObject(record.withStatus(ObjectStatus.SKIPPED, record.progress(), SKIPPED_BY_OPERATOR + " at " + Instant.now()
                + "; --include-object loads it again"));
        return "object " + object + " is skipped: " + (LogicalReplicationSource.MODE.equals(record.queryMode())
                ? "pipeline " + pipeline + " stops writing its changes within about 15 s if it is running, and takes it out of"
                + " its publication at its next start" : "the next runs of pipeline " + pipeline + " leave it out")
                + "; its destination rows stay";
    }

    /**
     * Whether the object is held out of ingestion by a decision: paused, or skipped by an operator or at the pipeline's
     * creation ({@code skipObjectsAtStart}). The planners keep it so, also when 'objects' names it, until an operator
     * resumes or includes it.
     */
    public static boolean held(ObjectRecord record) {
        String m = record.message();
        return record.status() == ObjectStatus.PAUSED || record.status() == ObjectStatus.SKIPPED && m != null
                && (m.startsWith(SKIPPED_BY_OPERATOR) || m.startsWith(TableSource.SKIPPED_AT_START));
    }

    private static ObjectRecord find(StateStore state, String pipeline, String object) {
        return state.object(pipeline, object).orElseThrow(() -> new IllegalArgumentException(
                "pipeline " + pipeline + " has no object " + object + " (known: " + state.objects(pipeline).stream()
                        .map(ObjectRecord::object).toList() + "); name it as schema.table, as --status lists it,"
                        + " and check that the pipeline ran at least once"));
    }
}
