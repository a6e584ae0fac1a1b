package io.pgingest.event;

import java.util.Objects;

/**
 * A source object: one table (or the root of a partitioned table) of one database.
 * Names are exact catalog names, unquoted and case-sensitive.
 */
public record SourceTable(String database, String schema, String table) {

    public SourceTable {
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(table, "table");
    }

    /** The SQL form {@code "schema"."table"}, each part quoted for PostgreSQL. */
    public String quoted() {
        return quote(schema) + "." + quote(table);
    }

    /** {@code schema.table} as users write it, for logs and messages. */
    public String display() {
        return schema + "." + table;
    }

    /** Quotes one PostgreSQL identifier, doubling embedded quotes. */
    public static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    @Override
    public String toString() {
        return database + "/" + display();
    }
}
