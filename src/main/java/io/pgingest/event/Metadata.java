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
     * DECIMAL(38,0): which change a row of a table without key is, in log-based pipelines: the change's LSN times
     * 65,536 plus its number among the changes of that LSN (the rows of one COPY page share a WAL record). A change
     * read again after a restart is not appended again when a row has its number.
     */
    public static final String CHANGE = "_pgingest_change";

    /**
     * DECIMAL(38,0): in a table whose changes are matched on their values ({@link WriteMode#MATCH}), the
     * {@link #CHANGE} number of the delete or update that soft-deleted the row; NULL while it is live. A removal read
     * again after a restart is not applied twice when a row has its number.
     */
    public static final String DELETED_BY = "_pgingest_deleted_by";

    /**
     * {@link Column#sourceType()} of a metadata column a source adds to its batches (e.g. {@link #DELETED}):
     * the naming processor keeps such columns' names, while a source column of the same name is escaped.
     */
    public static final String COLUMN_SOURCE_TYPE = "pg-ingest metadata";

    /** The {@link #DELETED} column of log-based batches. */
    public static final Column DELETED_COLUMN = new Column(DELETED, COLUMN_SOURCE_TYPE, LogicalType.BOOLEAN, -1, -1, false);

    /** The {@link #CHANGE} column of log-based batches of tables without key. */
    public static final Column CHANGE_COLUMN = new Column(CHANGE, COLUMN_SOURCE_TYPE, LogicalType.DECIMAL, 38, 0, true);

    /** How many changes may share one LSN in {@link #CHANGE} (a heap page holds at most 291 rows at 8 kB). */
    public static final int CHANGES_PER_LSN = 65_536;

    /** The {@link #CHANGE} value of the {@code ordinal}-th change (from 0) at WAL position {@code lsn}. */
    public static java.math.BigDecimal change(long lsn, int ordinal) {
        if (ordinal < 0 || ordinal >= CHANGES_PER_LSN) {
            throw new IllegalArgumentException("change number " + ordinal + " at one LSN is outside 0.." + (CHANGES_PER_LSN - 1));
        }
        java.math.BigInteger unsigned = lsn >= 0 ? java.math.BigInteger.valueOf(lsn) : new java.math.BigInteger(Long.toUnsignedString(lsn));
        return new java.math.BigDecimal(unsigned.shiftLeft(16).or(java.math.BigInteger.valueOf(ordinal)));
    }

    /** Whether {@code c} is a metadata column a source added (not a source table column). */
    public static boolean isMetadata(Column c) {
        return COLUMN_SOURCE_TYPE.equals(c.sourceType()) && c.name().startsWith("_pgingest_");
    }

    private Metadata() {
    }
}
