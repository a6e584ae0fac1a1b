package io.pgingest.destination;

import io.pgingest.event.Metadata;
import io.pgingest.event.RowBatch;

import java.util.List;
import java.util.stream.Collectors;

/** SQL text helpers shared by the PostgreSQL and DuckDB dialects (both quote identifiers with {@code "}). */
public final class Sql {

    private Sql() {
    }

    /** Quotes one identifier, doubling embedded quotes. */
    public static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    /** A string literal, doubling embedded single quotes. */
    public static String literal(String value) {
        return value == null ? "NULL" : "'" + value.replace("'", "''") + "'";
    }

    /** Quoted identifiers joined with {@code ", "}, each prefixed with {@code prefix} (e.g. {@code "s."}). */
    public static String columnList(List<String> names, String prefix) {
        return names.stream().map(n -> prefix + quote(n)).collect(Collectors.joining(", "));
    }

    /**
     * {@code WHERE} the rows of {@code target} written before the batch's position: those of the batch's database
     * under Merge Tables (a {@code _pgingest_database} constant), else all.
     */
    public static String earlierRows(RowBatch batch) {
        String sql = " WHERE " + quote(Metadata.POSITION) + " < " + batch.position();
        Object database = batch.constants().get(Metadata.DATABASE);
        return database == null ? sql : sql + " AND " + quote(Metadata.DATABASE) + " = " + literal(database.toString());
    }

    /**
     * Soft-deletes the rows written before a {@link io.pgingest.event.WriteMode#TRUNCATE} batch's position; when the
     * batch's row holds the truncate's {@link Metadata#CHANGE} number (a table without key) and the table has that column
     * ({@code numbered}), the streamed rows of lower numbers and the other rows (loaded) of lower positions.
     */
    public static String softDeleteEarlierRows(String target, RowBatch batch, boolean numbered) {
        int index = batch.columnIndex(Metadata.CHANGE);
        String earlier = quote(Metadata.POSITION) + " < " + batch.position();
        if (numbered && index >= 0 && !batch.rows().isEmpty()) {
            String change = quote(Metadata.CHANGE);
            earlier = "(" + change + " < " + batch.rows().get(0)[index] + " OR (" + change + " IS NULL AND " + earlier + "))";
        }
        Object database = batch.constants().get(Metadata.DATABASE);
        return "UPDATE " + target + " SET " + quote(Metadata.DELETED) + " = true, " + quote(Metadata.POSITION) + " = "
                + batch.position() + ", " + quote(Metadata.LOADED_AT) + " = now() WHERE " + earlier
                + (database == null ? "" : " AND " + quote(Metadata.DATABASE) + " = " + literal(database.toString()))
                + " AND " + quote(Metadata.DELETED) + " IS DISTINCT FROM true";
    }

    /** {@code a."k1" = b."k1" AND a."k2" = b."k2"}. */
    public static String keyMatch(List<String> key, String left, String right) {
        return key.stream().map(k -> left + "." + quote(k) + " = " + right + "." + quote(k))
                .collect(Collectors.joining(" AND "));
    }
}
