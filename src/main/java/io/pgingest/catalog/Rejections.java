package io.pgingest.catalog;

import java.util.List;

/** The messages that explain why a named object cannot be replicated and what to do instead. */
final class Rejections {

    private Rejections() {
    }

    static String notFound(String database, String schema, String table, List<String> closeNames) {
        String message = "table " + schema + "." + table + " does not exist in database " + database;
        if (!closeNames.isEmpty()) {
            return message + "; did you mean " + String.join(", ", closeNames)
                    + "? (names are case-sensitive and written unquoted, exactly as in the catalog)";
        }
        return message + "; check the schema and table name (case-sensitive, unquoted) and that the source user"
                + " can see it";
    }

    /**
     * Why the relation cannot be replicated, or null when it is a replicable table.
     *
     * @param kind        pg_class.relkind
     * @param persistence pg_class.relpersistence
     * @param root        {@code schema.table} of the partitioned table a partition belongs to
     */
    static String reason(String name, String database, char kind, char persistence, boolean partition,
                         String actualSchema, String root) {
        String object = name + " in database " + database;
        if (persistence == 't') {
            return object + " is a temporary table; temporary tables live only as long as their session and are"
                    + " not replicated: replicate a permanent table instead";
        }
        if (actualSchema.startsWith("pg_") || actualSchema.equals("information_schema")) {
            return object + " is in system schema " + actualSchema + "; system catalogs are not replicated";
        }
        if (partition) {
            return object + " is a partition of " + root + "; partitions are loaded through their partitioned"
                    + " table: name the partitioned table " + root + " instead";
        }
        return switch (kind) {
            case 'r', 'p' -> null;
            case 'v' -> object + " is a view; views are not replicated; use a custom-sql pipeline to read a view";
            case 'm' -> object + " is a materialized view; materialized views are not replicated; use a custom-sql"
                    + " pipeline to read it, or replicate the tables it is built from";
            case 'f' -> object + " is a foreign table; foreign tables are not replicated: replicate the table in"
                    + " the database it lives in, or read it with a custom-sql pipeline";
            case 'S' -> object + " is a sequence; sequences are not replicated (their values arrive with the"
                    + " rows that use them)";
            case 'i', 'I' -> object + " is an index, not a table; name the table it indexes";
            case 'c' -> object + " is a composite type, not a table";
            case 't' -> object + " is a TOAST table; name the table it belongs to";
            default -> object + " is not a table (relkind '" + kind + "'); only tables and partitioned tables"
                    + " are replicated";
        };
    }
}
