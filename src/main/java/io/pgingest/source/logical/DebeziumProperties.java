package io.pgingest.source.logical;

import io.pgingest.connect.SslSettings;
import io.pgingest.pipeline.PipelineSettings;
import io.pgingest.source.SourceConnections;
import org.apache.camel.component.debezium.postgres.configuration.PostgresConnectorEmbeddedDebeziumConfiguration;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;

/**
 * Builds the Debezium engine properties of one pipeline from camel-debezium-postgres's typed
 * configuration. Every option whose default is wrong for pg-ingest is set explicitly (DESIGN
 * "Other Debezium traps"): pgoutput, a filtered publication and a slot named per pipeline, no
 * skipped operations, heartbeats and keepalive confirmation (so an idle pipeline's slot follows the server's WAL),
 * value handling modes the row converter expects, and offsets
 * in the state database through {@link StateStoreOffsetBackingStore} (one table per pipeline).
 * The publication is kept by {@link Publication}, not by Debezium.
 */
final class DebeziumProperties {

    /** The prefix of the logical decoding message a {@code --once} run writes to know when it caught up. */
    static final String CATCH_UP_MARKER_PREFIX = "pgingest_catch_up_";

    /** Wait before Debezium restarts its task after a retriable error. */
    static final long RETRY_WAIT_MS = 10_000;

    private DebeziumProperties() {
    }

    /**
     * @param once a {@code --once} run: heartbeats and status updates every 100 ms (10 s and 1 s when streaming)
     *             and a short poll interval, so that the catch-up and the last batch of the backlog come quickly
     */
    static Properties of(PipelineSettings settings, StateDatabase state, boolean once) {
        return of(settings, state, once, Map.of());
    }

    /**
     * The engine's properties, Debezium kept from the tables {@code unreadable} lists per schema (tables whose column
     * names differ only by case, which Debezium cannot read: its start reads every table the include list covers, and
     * one such table failed every pipeline of the database, also those not selecting it).
     */
    static Properties of(PipelineSettings settings, StateDatabase state, boolean once, Map<String, List<String>> unreadable) {
        int heartbeatMs = once ? 100 : 10_000;
        String slot = ReplicationNames.slot(settings.name());
        PostgresConnectorEmbeddedDebeziumConfiguration c = new PostgresConnectorEmbeddedDebeziumConfiguration();
        c.setName(slot);
        c.setTopicPrefix(slot);
        SourceConnections.HostAndPort address;
        try {
            address = SourceConnections.reachable(settings.source()); // the local end of an SSH tunnel, if any
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        c.setDatabaseHostname(address.host());
        c.setDatabasePort(address.port());
        c.setDatabaseDbname(settings.source().database());
        c.setDatabaseUser(settings.source().user());
        c.setDatabasePassword(settings.source().password());
        SslSettings ssl = settings.source().ssl();
        if (ssl != null) {
            c.setDatabaseSslmode(ssl.sslMode());
        }
        c.setPluginName("pgoutput");
        c.setSlotName(slot);
        c.setPublicationName(slot);
        // pg-ingest keeps the publication (Publication): the include list covers the selected schemas, so a table
        // added to the publication while streaming is accepted without restarting the engine
        c.setPublicationAutocreateMode("disabled");
        // (a schema named outside ASCII also as Debezium's decoder garbles it in relation messages: DebeziumNames)
        c.setTableIncludeList(settings.schemas().stream().flatMap(s -> java.util.stream.Stream.of(s, DebeziumNames.toDebezium(s)))
                .distinct().map(s -> regex(s) + "\\." + notAnyOf(unreadable.getOrDefault(DebeziumNames.fromDebezium(s), List.of()))
                        + ".*").collect(Collectors.joining(",")));
        // Existing rows are loaded by pg-ingest itself (NewTables with KeyOrderLoad: keyset pages, resumable, as fast as
        // table mode) before the engine starts; Debezium only streams, from the slot pg-ingest created first.
        c.setSnapshotMode("no_data");
        c.setSkippedOperations("none");
        c.setHeartbeatIntervalMs(heartbeatMs);
        // how often the client tells the server how far it has read (and, via offsets, flushed): --once waits on it
        c.setStatusUpdateIntervalMs(Math.min(heartbeatMs, 1_000));
        // Idle tables must not pin the WAL (issue 3): Debezium confirms a position only after a change of the pipeline's
        // tables, so a slot whose tables are quiet retained all the WAL written elsewhere on the server. The driver now
        // also confirms the server's keepalive positions, but only when Debezium has confirmed every message it received
        // (pgjdbc's automatic flush), so a confirmed position never passes a change the destination has not committed.
        c.setLsnFlushMode("connector_and_driver");
        if (!settings.heartbeatQuery().isEmpty()) {
            c.setHeartbeatActionQuery(settings.heartbeatQuery());
        }
        // Logical decoding messages (pg_logical_emit_message, e.g. from a heartbeatQuery) carry no rows: not handed to
        // the pipeline (Debezium still moves its offset past them), but for the marker of a --once run's catch-up
        c.setMessagePrefixIncludeList(CATCH_UP_MARKER_PREFIX + ".*");
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
        // Two waits: the handler's poll returns when a batch is full or after this long, and Debezium's streaming
        // thread, finding no message from the server five reads in a row, sleeps this long before it reads again.
        // The second decides a backlog drain: the server sends in bursts, and with 50 ms Debezium slept 41 times in a
        // drain of 50k small transactions, 2 of its 6 s (JFR of bench/logical.sh --only B). A streaming pipeline
        // waits batchWaitMs, 100 ms by default: an idle pipeline reads its socket ten times a second, and a change
        // waits that long at most before its batch is written (PipelineSettings#DEFAULT_BATCH_WAIT_MS).
        c.setPollIntervalMs(once ? 10 : settings.batchWait().toMillis());
        // Errors Debezium deems retriable (the source unreachable or restarting) restart its task every 10 s, at most
        // for retrySeconds, then the engine stops and the pipeline FAILS visibly (the default retries forever,
        // so a lasting error, e.g. a publication dropped by hand, would hang the pipeline silently).
        c.setRetriableRestartConnectorWaitMs(RETRY_WAIT_MS);
        c.setErrorsMaxRetries((int) Math.max(1, settings.retryBudget().toMillis() / RETRY_WAIT_MS));
        c.setOffsetStorage(StateStoreOffsetBackingStore.class.getName());
        // Offsets are committed at most once a second, and when the engine stops; always for batches the destination
        // had committed. After a crash at most about a second of changes is replayed, which the writers absorb
        // (upserts guarded by position). Committing after every batch cost up to 8% of a backlog drain.
        c.setOffsetFlushIntervalMs(1_000);
        // Per-record work nobody reads (about 12% of the connector's CPU in a backlog drain): Kafka Connect
        // context headers on every record, and topic names from a bounded LRU cache
        c.setExtendedHeadersEnabled(false);
        c.setTopicNamingStrategy(CachedTopicNaming.class.getName());
        // and each change's source block without a Jackson-written JSON field (about a tenth of the streaming thread)
        c.setSourceinfoStructMaker(io.debezium.connector.postgresql.PgIngestSourceInfoStructMaker.class.getName());
        Properties p = c.createDebeziumConfiguration().asProperties();
        p.remove("offset.storage.file.filename");
        // Debezium's connector without its per-change JSON summary for metrics (LeanPostgresConnector)
        p.setProperty("connector.class", LeanPostgresConnector.class.getName());
        if (ssl != null) {
            // Debezium hands every database.* property to pgjdbc without the prefix: the socket factory and its files
            ssl.jdbcProperties(settings.source().ssh() != null ? settings.source().host() : null)
                    .forEach((k, v) -> p.setProperty("database." + k, v));
        }
        // With keepalive confirmations the slot is usually ahead of the stored offset (which only moves with changes of
        // the pipeline's tables); by default Debezium would then refuse to start ("no longer available on the server").
        // Both positions only pass what the destination committed, so the greater one is safe to resume from:
        // trust_slot starts from the slot when it is ahead, else from the offset. (trust_greater_lsn would do the same
        // but, in 3.4.0, first tries to move the slot back to the offset and fails.)
        p.setProperty("offset.mismatch.strategy", "trust_slot");
        // Columns whose values Debezium would change or lose are converted from the text the server sent
        // (SourceTextConverter: arrays, int2vector/oidvector, bit strings, and their unchanged-TOAST markers)
        p.setProperty("converters", "pgingest");
        p.setProperty("pgingest.type", SourceTextConverter.class.getName());
        p.setProperty("pgingest." + SourceTextConverter.SLOT, slot);
        // (A value Debezium cannot convert stops the pipeline: LeanPostgresConnector, since the connector ignores
        // event.converting.failure.handling.mode)
        // The walsender prints array elements (and other values) with its session's settings: those of a table
        // source's session where they change the text (intervals, bytea); DateStyle ISO and extra_float_digits 3 are
        // set by pgjdbc, and timestamptz elements are moved to UTC by SourceTextConverter whatever the TimeZone
        p.setProperty("database.options", "-c IntervalStyle=postgres -c bytea_output=hex");
        StateStoreOffsetBackingStore.configure(p, state, ReplicationNames.offsetTable(settings.name()));
        return p;
    }

    /** A regex lookahead matching no table name of {@code tables} (as names and as Debezium garbles them); empty for none. */
    static String notAnyOf(List<String> tables) {
        if (tables.isEmpty()) {
            return "";
        }
        return "(?!(?:" + tables.stream().flatMap(t -> java.util.stream.Stream.of(t, DebeziumNames.toDebezium(t))).distinct()
                .map(DebeziumProperties::regex).collect(Collectors.joining("|")) + ")$)";
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
