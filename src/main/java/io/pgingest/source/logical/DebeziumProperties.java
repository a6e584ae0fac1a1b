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
 * in the state database through {@link StateStoreOffsetBackingStore} (one table per pipeline).
 * The publication is kept by {@link Publication}, not by Debezium.
 */
final class DebeziumProperties {

    private DebeziumProperties() {
    }

    /**
     * @param tables included tables as {@code schema.table} (Debezium's include list is a regex list)
     * @param once   a {@code --once} run: heartbeats every second (10 s when streaming), and a short poll
     *               interval, so that the last batch of the backlog is handed over without waiting
     */
    static Properties of(PipelineSettings settings, List<String> tables, StateDatabase state, boolean once) {
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
        // pg-ingest keeps the publication (Publication): the include list covers the selected schemas, so a table
        // added to the publication while streaming is accepted without restarting the engine
        c.setPublicationAutocreateMode("disabled");
        c.setTableIncludeList(settings.schemas().stream().map(s -> regex(s) + "\\..*").collect(Collectors.joining(",")));
        c.setSnapshotMode(settings.loadHistoricalData() ? "initial" : "no_data");
        c.setSkippedOperations("none");
        c.setHeartbeatIntervalMs(once ? 1_000 : 10_000);
        c.setTombstonesOnDelete(false);
        c.setDecimalHandlingMode("string");
        c.setTimePrecisionMode("adaptive_time_microseconds");
        c.setIntervalHandlingMode("string");
        c.setBinaryHandlingMode("bytes");
        c.setHstoreHandlingMode("json");
        c.setIncludeUnknownDatatypes(true);
        int batch = Math.max(settings.batchSize(), 1);
        c.setMaxBatchSize(batch);
        // How far Debezium may read ahead of the handler: half a batch more than the batch being handed over keeps it
        // busy while a batch is written. Every queued record stays live through young collections: with four batches
        // queued, garbage collection took a third of the JVM's CPU in a 1M-change drain, with one and a half a fifth.
        c.setMaxQueueSize(batch + Math.max(batch / 2, 1));
        // A poll returns when a batch is full or after this long: a --once run gets its last batch sooner
        c.setPollIntervalMs(once ? 100 : 500);
        c.setOffsetStorage(StateStoreOffsetBackingStore.class.getName());
        // Offsets are committed at most once a second, and when the engine stops; always for batches the destination
        // had committed. After a crash at most about a second of changes is replayed, which the writers absorb
        // (upserts guarded by position). Committing after every batch cost up to 8% of a backlog drain.
        c.setOffsetFlushIntervalMs(1_000);
        // Per-record work nobody reads (about 12% of the connector's CPU in a backlog drain): Kafka Connect
        // context headers on every record, and topic names from a bounded LRU cache
        c.setExtendedHeadersEnabled(false);
        c.setTopicNamingStrategy(CachedTopicNaming.class.getName());
        Properties p = c.createDebeziumConfiguration().asProperties();
        p.remove("offset.storage.file.filename");
        // the initial snapshot reads the included tables only, not every table of the schemas
        p.setProperty("snapshot.include.collection.list",
                tables.stream().map(DebeziumProperties::regex).collect(Collectors.joining(",")));
        StateStoreOffsetBackingStore.configure(p, state, ReplicationNames.offsetTable(settings.name()));
        return p;
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
