package io.pgingest.source.logical;

import io.pgingest.pipeline.PipelineSettings;
import org.apache.camel.component.debezium.postgres.configuration.PostgresConnectorEmbeddedDebeziumConfiguration;

import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;

/**
 * Builds the Debezium engine properties of one pipeline from camel-debezium-postgres's typed
 * configuration. Every option whose default is wrong for pg-ingest is set explicitly (DESIGN
 * "Other Debezium traps"): pgoutput, a filtered publication and a slot named per pipeline, no
 * skipped operations, heartbeats, value handling modes the row converter expects, and offsets
 * in the state store through Debezium's JDBC offset store (one table per pipeline, TEXT columns).
 */
final class DebeziumProperties {

    static final String OFFSET_TABLE_DDL = "CREATE TABLE IF NOT EXISTS %s (id VARCHAR(36) NOT NULL, offset_key TEXT, "
            + "offset_val TEXT, record_insert_ts TIMESTAMP NOT NULL, record_insert_seq INTEGER NOT NULL, PRIMARY KEY (id))";

    private DebeziumProperties() {
    }

    /**
     * @param tables     included tables as {@code schema.table} (Debezium's include list is a regex list)
     * @param heartbeatMs heartbeat interval
     */
    static Properties of(PipelineSettings settings, List<String> tables, StateDatabase state, int heartbeatMs) {
        String slot = ReplicationNames.slot(settings.name());
        PostgresConnectorEmbeddedDebeziumConfiguration c = new PostgresConnectorEmbeddedDebeziumConfiguration();
        c.setName(slot);
        c.setTopicPrefix(slot);
        c.setDatabaseHostname(settings.source().host());
        c.setDatabasePort(settings.source().port());
        c.setDatabaseDbname(settings.source().database());
        c.setDatabaseUser(settings.source().user());
        c.setDatabasePassword(settings.source().password());
        c.setPluginName("pgoutput");
        c.setSlotName(slot);
        c.setPublicationName(slot);
        c.setPublicationAutocreateMode("filtered");
        c.setTableIncludeList(tables.stream().map(DebeziumProperties::regex).collect(Collectors.joining(",")));
        c.setSnapshotMode(settings.loadHistoricalData() ? "initial" : "no_data");
        c.setSkippedOperations("none");
        c.setHeartbeatIntervalMs(heartbeatMs);
        c.setTombstonesOnDelete(false);
        c.setDecimalHandlingMode("string");
        c.setTimePrecisionMode("adaptive_time_microseconds");
        c.setIntervalHandlingMode("string");
        c.setBinaryHandlingMode("bytes");
        c.setHstoreHandlingMode("json");
        c.setIncludeUnknownDatatypes(true);
        c.setMaxBatchSize(Math.max(settings.batchSize(), 1));
        c.setMaxQueueSize(Math.max(settings.batchSize() * 4, 8192));
        boolean jdbc = !state.password().isEmpty();
        c.setOffsetStorage(jdbc ? "io.debezium.storage.jdbc.offset.JdbcOffsetBackingStore"
                : "org.apache.kafka.connect.storage.FileOffsetBackingStore");
        c.setOffsetStorageFileName(offsetFile(state, slot));
        // Offsets are committed after every batch the destination committed: a restart replays little.
        c.setOffsetFlushIntervalMs(0);
        Properties p = c.createDebeziumConfiguration().asProperties();
        if (!jdbc) {
            return p;
        }
        p.remove("offset.storage.file.filename");
        p.setProperty("offset.storage.jdbc.connection.url", state.url());
        p.setProperty("offset.storage.jdbc.connection.user", state.user());
        p.setProperty("offset.storage.jdbc.connection.password", state.password());
        p.setProperty("offset.storage.jdbc.table.name", ReplicationNames.offsetTable(settings.name()));
        p.setProperty("offset.storage.jdbc.table.ddl", OFFSET_TABLE_DDL);
        return p;
    }

    /**
     * Debezium's JDBC offset store refuses an empty password (the default H2 state store has one): then the
     * offsets go to a file beside the H2 database ({@code <file>-offsets/<slot>.dat}), else under
     * {@code data/offsets/}.
     */
    static String offsetFile(StateDatabase state, String slot) {
        String prefix = "jdbc:h2:file:";
        String dir = "data/offsets";
        if (state.url().startsWith(prefix)) {
            String path = state.url().substring(prefix.length());
            int options = path.indexOf(';');
            dir = (options < 0 ? path : path.substring(0, options)) + "-offsets";
        }
        java.nio.file.Path file = java.nio.file.Path.of(dir, slot + ".dat");
        try {
            java.nio.file.Files.createDirectories(file.getParent());
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot create the offsets directory " + file.getParent() + ": " + e.getMessage(), e);
        }
        return file.toString();
    }

    /** A Debezium include-list entry matching exactly one table (the list is comma-separated regexes). */
    static String regex(String table) {
        StringBuilder out = new StringBuilder();
        for (char ch : table.toCharArray()) {
            if (Character.isLetterOrDigit(ch) || ch == '_') {
                out.append(ch);
            } else if (ch == ',') {
                throw new IllegalArgumentException("table " + table + " has a comma in its name, which Debezium's"
                        + " table include list cannot express; rename it or exclude it from the pipeline");
            } else {
                out.append('\\').append(ch);
            }
        }
        return out.toString();
    }
}
