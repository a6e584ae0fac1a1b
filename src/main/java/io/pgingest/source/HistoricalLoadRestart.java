package io.pgingest.source;

import io.pgingest.source.logical.LogicalReplicationSource;
import io.pgingest.source.table.TableSource;
import io.pgingest.state.ObjectRecord;
import io.pgingest.state.ObjectStatus;
import io.pgingest.state.StateStore;

/**
 * The operator's "Restart Historical Load" of one object: recorded in the state store, done by the
 * pipeline. A table-mode object loads its rows again from the first key at its next run. A table of a
 * logical-replication pipeline is loaded again by key while the pipeline runs (its stream waits for the
 * load, then goes on; nothing is written to the source), or at its next start when it is not running.
 */
public final class HistoricalLoadRestart {

    private HistoricalLoadRestart() {
    }

    /**
     * Records the request; returns a sentence saying what happens next.
     *
     * @throws IllegalArgumentException when the pipeline does not know the object or does not include it
     */
    public static String request(StateStore state, String pipeline, String object) {
        ObjectRecord record = state.object(pipeline, object).orElseThrow(() -> new IllegalArgumentException(
                "pipeline " + pipeline + " has no object " + object + " (known: " + state.objects(pipeline).stream()
                        .map(ObjectRecord::object).toList() + "); name it as schema.table, as the status lists it,"
                        + " and check that the pipeline ran at least once"));
        if (record.status() != ObjectStatus.INCLUDED) {
            throw new IllegalArgumentException("object " + object + " of pipeline " + pipeline + " is " + record.status()
                    + (record.message() == null ? "" : " (" + record.message() + ")") + "; only an included object can be loaded again");
        }
        if (LogicalReplicationSource.MODE.equals(record.queryMode())) {
            LogicalReplicationSource.requestHistoricalLoad(state, record);
            return "the historical load of " + object + " restarts within a minute if pipeline " + pipeline
                    + " is running, else at its next start; its changes go on streaming afterwards";
        }
        TableSource.requestHistoricalLoad(state, record);
        return "the historical load of " + object + " restarts from the first row at the next run of pipeline " + pipeline;
    }
}
