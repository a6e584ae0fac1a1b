package io.pgingest.source.logical;

import io.debezium.config.CommonConnectorConfig.EventConvertingFailureHandlingMode;
import io.debezium.config.Configuration;
import io.debezium.DebeziumException;
import io.debezium.connector.postgresql.PostgresConnector;
import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.debezium.connector.postgresql.PostgresConnectorTask;
import io.debezium.connector.postgresql.PostgresOffsetContext;
import io.debezium.connector.postgresql.PostgresPartition;
import io.debezium.pipeline.ChangeEventSourceCoordinator;
import io.debezium.pipeline.meters.CommonEventMeter;
import io.debezium.pipeline.metrics.PipelineMetrics;
import io.debezium.pipeline.source.spi.EventMetadataProvider;
import io.debezium.pipeline.spi.OffsetContext;
import io.debezium.pipeline.spi.Offsets;
import io.debezium.pipeline.spi.Partition;
import io.debezium.pipeline.txmetadata.TransactionInfo;
import io.debezium.relational.RelationalDatabaseSchema;
import io.debezium.relational.TableSchemaBuilder;
import io.debezium.spi.schema.DataCollectionId;
import java.lang.reflect.Field;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.data.Struct;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Debezium's PostgreSQL connector, whose streaming metrics do not print every change, and which stops at a value it
 * cannot convert instead of sending the column NULL ({@link #failOnConversionErrors}).
 *
 * <p>Debezium's streaming metrics keep a text of the last change (the JMX attribute {@code LastEvent})
 * and make it for every change: its key (and position) printed as JSON through a new Jackson mapper
 * each time. In a backlog of small transactions that was about 30% of the streaming thread's CPU
 * (JFR of {@code bench/logical.sh --only B}: 43 of 146 samples), and that thread reads the stream for
 * the whole pipeline. pg-ingest does not read the attribute (its status, health and logs say where a
 * pipeline is); here it holds the change's table only. Everything else is Debezium's connector as it is.
 *
 * <p>The text is made by a private field of Debezium's metrics, reached by reflection once per start.
 * Should a Debezium version move it, the connector runs unchanged, only without this saving, and says
 * so at INFO level.
 */
public final class LeanPostgresConnector extends PostgresConnector {

    private static final Logger LOG = LoggerFactory.getLogger(LeanPostgresConnector.class);

    @Override
    public Class<? extends Task> taskClass() {
        return Lean.class;
    }

    /**
     * {@link PostgresConnectorTask} whose streaming metrics summarise a change by its table, and which stops at a value
     * it cannot convert instead of sending the change with that column NULL.
     */
    public static final class Lean extends PostgresConnectorTask {

        /**
         * Called by {@link PostgresConnectorTask#start(Configuration)} after it made its schema and before it starts
         * streaming (and later when offsets are committed): makes the schema's value conversion fail on error.
         */
        @Override
        protected Offsets<PostgresPartition, PostgresOffsetContext> getPreviousOffsets(Partition.Provider<PostgresPartition> provider,
                                                                                      OffsetContext.Loader<PostgresOffsetContext> loader) {
            failOnConversionErrors(this);
            return super.getPreviousOffsets(provider, loader);
        }

        @Override
        public ChangeEventSourceCoordinator<PostgresPartition, PostgresOffsetContext> start(Configuration config) {
            requireSlot(config);
            TASK_STARTS.computeIfAbsent(new PostgresConnectorConfig(config).slotName(), s -> new AtomicLong()).incrementAndGet();
            ChangeEventSourceCoordinator<PostgresPartition, PostgresOffsetContext> coordinator = super.start(config);
            try {
                Object metrics = field(ChangeEventSourceCoordinator.class, "streamingMetrics").get(coordinator);
                summariseByTable(field(PipelineMetrics.class, "commonEventMeter").get(metrics));
            } catch (ReflectiveOperationException | RuntimeException e) {
                LOG.info("Debezium's streaming metrics keep their per-change summary ({}); streaming is unchanged, only slower", e.toString());
            }
            return coordinator;
        }
    }

    /** How many tasks were started per slot in this JVM (see {@link #taskStarts}). */
    private static final ConcurrentHashMap<String, AtomicLong> TASK_STARTS = new ConcurrentHashMap<>();

    /**
     * How many tasks of the slot's engine(s) have started in this JVM. A task that starts again (Debezium restarts it
     * after a lost connection, or pg-ingest starts a new engine) streams from the last committed offset, at the beginning
     * of a transaction: the batch handler compares this count before each batch to know that a new stream began.
     */
    static long taskStarts(String slot) {
        AtomicLong starts = TASK_STARTS.get(slot);
        return starts == null ? 0 : starts.get();
    }

    /**
     * Stops the task when the pipeline's slot is gone. pg-ingest creates the slot before it starts an engine, so a slot
     * missing when the task starts (again, after a lost connection: a failover of the source server, or the slot
     * dropped by hand) was lost while the pipeline ran, and with it the changes since the last committed batch.
     * Debezium would create a new slot and stream from it as if nothing had been missed; the pipeline FAILS instead,
     * saying why, and its next start loads every table again ({@code LogicalReplicationSource}). A source that cannot be
     * reached is left to Debezium's own start, which fails on it and is retried.
     */
    static void requireSlot(Configuration config) {
        PostgresConnectorConfig connectorConfig = new PostgresConnectorConfig(config);
        String slot = connectorConfig.slotName();
        boolean exists;
        try (PostgresConnection connection = new PostgresConnection(connectorConfig.getJdbcConfig(), "pg-ingest slot check")) {
            exists = connection.prepareQueryAndMap("SELECT 1 FROM pg_replication_slots WHERE slot_name = ?",
                    ps -> ps.setString(1, slot), ResultSet::next);
        } catch (SQLException | RuntimeException e) {
            LOG.debug("cannot check that replication slot {} exists: {}", slot, e.getMessage());
            return;
        }
        if (!exists) {
            throw new DebeziumException("the replication slot " + slot + " is gone (dropped, or lost in a failover of the"
                    + " source server): the changes made since the last committed batch cannot be read; start the pipeline"
                    + " again (restart pg-ingest): it loads every table again");
        }
    }

    /**
     * Debezium's PostgreSQL connector ignores {@code event.converting.failure.handling.mode}: its schema builder gets no
     * mode, and a value that fails to convert (a type it does not know how to read) is logged at ERROR and the change
     * goes on with the column NULL, which would overwrite the destination's value. With the mode set to FAIL on the
     * builder, the change stops the pipeline instead (FAILED, visibly, not acknowledged). Reflection: a Debezium version
     * that moves the fields stops the start with this message rather than run without the guard.
     */
    static void failOnConversionErrors(PostgresConnectorTask task) {
        try {
            Object schema = field(PostgresConnectorTask.class, "schema").get(task);
            if (schema == null) {
                return;
            }
            Object builder = field(RelationalDatabaseSchema.class, "schemaBuilder").get(schema);
            Field mode = field(TableSchemaBuilder.class, "eventConvertingFailureHandlingMode");
            if (mode.get(builder) != EventConvertingFailureHandlingMode.FAIL) {
                mode.set(builder, EventConvertingFailureHandlingMode.FAIL);
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot make Debezium stop at values it cannot convert (" + e
                    + "); pg-ingest is built for Debezium 3.4", e);
        }
    }

    /** Makes a {@link CommonEventMeter} (Debezium's per-change metrics) summarise a change by its table. */
    static void summariseByTable(Object meter) throws ReflectiveOperationException {
        Field provider = field(CommonEventMeter.class, "metadataProvider");
        Object current = provider.get(meter);
        if (!(current instanceof TableOnlySummary)) {
            provider.set(meter, new TableOnlySummary((EventMetadataProvider) current));
        }
    }

    static Field field(Class<?> owner, String name) throws NoSuchFieldException {
        Field f = owner.getDeclaredField(name);
        f.setAccessible(true);
        return f;
    }

    /** Debezium's metadata, with a summary that names the change's table instead of printing the change. */
    record TableOnlySummary(EventMetadataProvider delegate) implements EventMetadataProvider {

        @Override
        public Instant getEventTimestamp(DataCollectionId source, OffsetContext offset, Object key, Struct value) {
            return delegate.getEventTimestamp(source, offset, key, value);
        }

        @Override
        public Map<String, String> getEventSourcePosition(DataCollectionId source, OffsetContext offset, Object key, Struct value) {
            return delegate.getEventSourcePosition(source, offset, key, value);
        }

        @Override
        public String getTransactionId(DataCollectionId source, OffsetContext offset, Object key, Struct value) {
            return delegate.getTransactionId(source, offset, key, value);
        }

        @Override
        public TransactionInfo getTransactionInfo(DataCollectionId source, OffsetContext offset, Object key, Struct value) {
            return delegate.getTransactionInfo(source, offset, key, value);
        }

        @Override
        public String toSummaryString(DataCollectionId source, OffsetContext offset, Object key, Struct value) {
            return "table " + source;
        }
    }
}
