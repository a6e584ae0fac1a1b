package io.pgingest.state;

/** Whether an object is ingested (SPEC "Objects"). */
public enum ObjectStatus {
    INCLUDED,
    SKIPPED,
    PAUSED
}
