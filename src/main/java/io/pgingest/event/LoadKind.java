package io.pgingest.event;

/** Why rows were read: the historical load is free, incremental events are billable. */
public enum LoadKind {
    HISTORICAL,
    INCREMENTAL
}
