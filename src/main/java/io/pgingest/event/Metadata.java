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

    /**
     * {@link Column#sourceType()} of a metadata column a source adds to its batches (e.g. {@link #DELETED}):
     * the naming processor keeps such columns' names, while a source column of the same name is escaped.
     */
    public static final String COLUMN_SOURCE_TYPE = "pg-ingest metadata";

    /** The {@link #DELETED} column of log-based batches. */
    public static final Column DELETED_COLUMN = new Column(DELETED, COLUMN_SOURCE_TYPE, LogicalType.BOOLEAN, -1, -1, false);

    /** Whether {@code c} is a metadata column a source added (not a source table column). */
    public static boolean isMetadata(Column c) {
        return COLUMN_SOURCE_TYPE.equals(c.sourceType()) && c.name().startsWith("_pgingest_");
    }

    private Metadata() {
    }
}
