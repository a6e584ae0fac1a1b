package io.pgingest.state;

/** Where an included object's ingestion stands. */
public enum ObjectProgress {
    /** Not started yet. */
    PENDING,
    HISTORICAL_LOAD_RUNNING,
    HISTORICAL_LOAD_FINISHED,
    /** Table mode: historical load done, incremental runs on the schedule. */
    SCHEDULED,
    /** Log-based: historical load done, changes streaming. */
    STREAMING,
    FAILED
}
