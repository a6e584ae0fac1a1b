package io.pgingest.event;

/** Names of the metadata columns pg-ingest adds to destination tables (SPEC "Destination semantics"). */
public final class Metadata {
    /** TIMESTAMPTZ: when the row was read from the source. */
    public static final String INGESTED_AT = "_pgingest_ingested_at";
    /** TIMESTAMPTZ: when the destination transaction that wrote the row began. */
    public static final String LOADED_AT = "_pgingest_loaded_at";
    /** BOOLEAN: soft delete marker (log-based pipelines only). */
    public static final String DELETED = "_pgingest_deleted";
    /** TEXT: source database name (Merge Tables on). */
    public static final String DATABASE = "_pgingest_database";
    /** BIGINT: LSN of the change (log-based) or the poll position (table mode); newer wins. */
    public static final String POSITION = "_pgingest_position";
    /** BIGINT: generated row id of tables without a key (append-only). */
    public static final String ID = "_pgingest_id";

    private Metadata() {
    }
}
