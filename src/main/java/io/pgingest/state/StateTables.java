package io.pgingest.state;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;

/**
 * Names and DDL of the state store's tables for one database product: in PostgreSQL they live
 * in schema {@code pgingest_state}, in H2 (embedded file) in the default schema.
 */
final class StateTables {

    static final String POSTGRES_SCHEMA = "pgingest_state";

    /** Names of the pipeline, object and query-mode columns (SPEC: names up to 255 characters; object is schema.table). */
    private static final String NAME = "VARCHAR(255)";
    private static final String OBJECT = "VARCHAR(1024)";

    final String cursor;
    final String object;
    final String counter;
    final String pipeline;
    private final boolean postgres;

    private StateTables(boolean postgres) {
        this.postgres = postgres;
        String prefix = postgres ? POSTGRES_SCHEMA + "." : "";
        this.cursor = prefix + "pgingest_cursor";
        this.object = prefix + "pgingest_object";
        this.counter = prefix + "pgingest_counter";
        this.pipeline = prefix + "pgingest_pipeline";
    }

    /** Chooses the layout from the product the connection talks to; only PostgreSQL and H2 are supported. */
    static StateTables of(Connection c, String url) throws SQLException {
        String product = c.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT);
        if (product.contains("postgresql")) {
            return new StateTables(true);
        }
        if (product.contains("h2")) {
            return new StateTables(false);
        }
        throw new StateStoreException("state store " + url + " is a " + product
                + " database; use PostgreSQL (production) or an H2 file (jdbc:h2:file:...)", null);
    }

    /** Creates the schema and tables when missing; safe to run on every start. */
    void create(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            for (String ddl : ddl()) {
                s.execute(ddl);
            }
        }
    }

    // "day" is quoted everywhere because DAY is a keyword in H2; quoting keeps it lower case in both databases.
    private List<String> ddl() {
        String schema = postgres ? "CREATE SCHEMA IF NOT EXISTS " + POSTGRES_SCHEMA : null;
        List<String> tables = List.of(
                "CREATE TABLE IF NOT EXISTS " + cursor + " (pipeline " + NAME + " NOT NULL, object " + OBJECT
                        + " NOT NULL, cursor TEXT, updated_at TIMESTAMP WITH TIME ZONE NOT NULL,"
                        + " PRIMARY KEY (pipeline, object))",
                "CREATE TABLE IF NOT EXISTS " + object + " (pipeline " + NAME + " NOT NULL, object " + OBJECT
                        + " NOT NULL, table_oid BIGINT NOT NULL, status VARCHAR(32) NOT NULL,"
                        + " progress VARCHAR(64) NOT NULL, query_mode " + OBJECT + ", message TEXT,"
                        + " updated_at TIMESTAMP WITH TIME ZONE NOT NULL, PRIMARY KEY (pipeline, object))",
                "CREATE TABLE IF NOT EXISTS " + counter + " (pipeline " + NAME + " NOT NULL, object " + OBJECT
                        + " NOT NULL, \"day\" DATE NOT NULL, ingested BIGINT NOT NULL DEFAULT 0,"
                        + " loaded BIGINT NOT NULL DEFAULT 0, failed BIGINT NOT NULL DEFAULT 0,"
                        + " billable BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (pipeline, object, \"day\"))",
                "CREATE TABLE IF NOT EXISTS " + pipeline + " (pipeline " + NAME + " NOT NULL PRIMARY KEY,"
                        + " wal_retained_bytes BIGINT, message TEXT, updated_at TIMESTAMP WITH TIME ZONE NOT NULL)");
        if (schema == null) {
            return tables;
        }
        List<String> all = new java.util.ArrayList<>();
        all.add(schema);
        all.addAll(tables);
        return all;
    }
}
