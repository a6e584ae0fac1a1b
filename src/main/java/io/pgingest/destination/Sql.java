package io.pgingest.destination;

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

    /** {@code a."k1" = b."k1" AND a."k2" = b."k2"}. */
    public static String keyMatch(List<String> key, String left, String right) {
        return key.stream().map(k -> left + "." + quote(k) + " = " + right + "." + quote(k))
                .collect(Collectors.joining(" AND "));
    }
}
