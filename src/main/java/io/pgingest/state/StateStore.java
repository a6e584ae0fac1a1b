package io.pgingest.state;

import java.time.LocalDate;
import java.util.List;
import java.util.Optional;

/**
 * Durable pipeline state: cursors, object records and billing counters. Every method
 * commits before it returns. Thread-safe.
 */
public interface StateStore extends AutoCloseable {

    /** The cursor of an object, as saved by {@link #saveCursor}; empty when none. */
    Optional<String> cursor(String pipeline, String object);

    /** Saves (replaces) the cursor of an object. */
    void saveCursor(String pipeline, String object, String cursor);

    /** Removes the cursor of an object (restart of its historical load). */
    void deleteCursor(String pipeline, String object);

    /** All object records of a pipeline, ordered by object name. */
    List<ObjectRecord> objects(String pipeline);

    Optional<ObjectRecord> object(String pipeline, String object);

    /** Inserts or replaces the record with the same pipeline and object. */
    void saveObject(ObjectRecord record);

    /** Inserts or replaces the pipeline's record. */
    void savePipeline(PipelineRecord record);

    /** The pipeline's record; empty when none was saved. */
    Optional<PipelineRecord> pipeline(String pipeline);

    /** The names of the pipelines that have object, cursor or pipeline records, sorted. */
    List<String> pipelines();

    /**
     * Removes a pipeline's object records, cursors and pipeline record (the "delete pipeline" operation); its billing
     * counters are kept, as a record of what was ingested.
     */
    Removed deletePipeline(String pipeline);

    /** Adds to the counters of (pipeline, object, day); creates the row when missing. */
    void addCounters(String pipeline, String object, LocalDate day, Counters delta);

    /** Counters of a pipeline per object and day, ordered by day then object. */
    List<CounterRow> counters(String pipeline);

    @Override
    void close();

    /** Event counts; see SPEC "Billing counters". */
    record Counters(long ingested, long loaded, long failed, long billable) {
        public static final Counters ZERO = new Counters(0, 0, 0, 0);

        public Counters plus(Counters o) {
            return new Counters(ingested + o.ingested, loaded + o.loaded, failed + o.failed, billable + o.billable);
        }
    }

    /** What {@link #deletePipeline} removed. */
    record Removed(int objects, int cursors, boolean pipelineRecord) {
    }

    /** One persisted counter row. */
    record CounterRow(String pipeline, String object, LocalDate day, Counters counters) {
    }
}
