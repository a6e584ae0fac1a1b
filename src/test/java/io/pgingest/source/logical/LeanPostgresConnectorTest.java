package io.pgingest.source.logical;

import io.debezium.DebeziumException;
import io.debezium.connector.postgresql.PostgresConnectorTask;
import io.debezium.connector.postgresql.PostgresSchema;
import io.debezium.data.Envelope;
import io.debezium.pipeline.ChangeEventSourceCoordinator;
import io.debezium.pipeline.meters.CommonEventMeter;
import io.debezium.pipeline.metrics.PipelineMetrics;
import io.debezium.pipeline.metrics.StreamingChangeEventSourceMetrics;
import io.debezium.pipeline.source.spi.EventMetadataProvider;
import io.debezium.pipeline.spi.OffsetContext;
import io.debezium.relational.Column;
import io.debezium.relational.CustomConverterRegistry;
import io.debezium.relational.RelationalDatabaseSchema;
import io.debezium.relational.Table;
import io.debezium.relational.TableId;
import io.debezium.relational.TableSchema;
import io.debezium.relational.TableSchemaBuilder;
import io.debezium.relational.ValueConverter;
import io.debezium.relational.ValueConverterProvider;
import io.debezium.schema.SchemaNameAdjuster;
import io.debezium.spi.schema.DataCollectionId;
import io.debezium.util.Clock;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.sql.Types;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The connector pg-ingest gives Debezium: its streaming metrics name a change's table instead of printing
 * the change, and the Debezium fields it changes for that are where it expects them (a Debezium upgrade that
 * moves them fails here instead of silently losing the saving).
 */
class LeanPostgresConnectorTest {

    @Test
    void debeziumRunsTheLeanConnectorAndItsTask() {
        assertThat(DebeziumPropertiesTest.properties().getProperty("connector.class"))
                .isEqualTo(LeanPostgresConnector.class.getName());
        assertThat(new LeanPostgresConnector().taskClass()).isEqualTo(LeanPostgresConnector.Lean.class);
    }

    @Test
    void theMeterSummarisesAChangeByItsTableWithoutAskingDebeziumToPrintIt() throws Exception {
        AtomicInteger printed = new AtomicInteger();
        CommonEventMeter meter = new CommonEventMeter(Clock.system(), new Printing(printed));
        Schema keySchema = SchemaBuilder.struct().field("id", Schema.INT32_SCHEMA).build();
        Struct key = new Struct(keySchema).put("id", 7);

        meter.onEvent(TableId.parse("public.items"), null, key, null, Envelope.Operation.CREATE);
        assertThat(meter.getLastEvent()).as("Debezium's own summary, before").isEqualTo("printed");
        assertThat(printed).hasValue(1);

        LeanPostgresConnector.summariseByTable(meter);
        LeanPostgresConnector.summariseByTable(meter); // twice is the same as once
        meter.onEvent(TableId.parse("public.items"), null, key, null, Envelope.Operation.UPDATE);
        assertThat(meter.getLastEvent()).isEqualTo("table public.items");
        assertThat(printed).as("the change was not printed").hasValue(1);
        assertThat(meter.getTotalNumberOfEventsSeen()).as("the counters still count").isEqualTo(2);
    }

    @Test
    void theFieldsTheTaskReachesAreWhereItExpectsThem() throws Exception {
        assertThat(LeanPostgresConnector.field(ChangeEventSourceCoordinator.class, "streamingMetrics").getType())
                .isEqualTo(StreamingChangeEventSourceMetrics.class);
        assertThat(LeanPostgresConnector.field(PipelineMetrics.class, "commonEventMeter").getType())
                .isEqualTo(CommonEventMeter.class);
        assertThat(LeanPostgresConnector.field(CommonEventMeter.class, "metadataProvider").getType())
                .isEqualTo(EventMetadataProvider.class);
    }

    /** A provider whose summary counts how often Debezium asked for it. */
    private record Printing(AtomicInteger printed) implements EventMetadataProvider {
        @Override
        public Instant getEventTimestamp(DataCollectionId source, OffsetContext offset, Object key, Struct value) {
            return null;
        }

        @Override
        public Map<String, String> getEventSourcePosition(DataCollectionId source, OffsetContext offset, Object key, Struct value) {
            return Map.of();
        }

        @Override
        public String getTransactionId(DataCollectionId source, OffsetContext offset, Object key, Struct value) {
            return null;
        }

        @Override
        public String toSummaryString(DataCollectionId source, OffsetContext offset, Object key, Struct value) {
            printed.incrementAndGet();
            return "printed";
        }
    }

    /**
     * The trap: Debezium's PostgreSQL schema converts a value that fails to NULL (logged, not stopped), whatever
     * event.converting.failure.handling.mode says. The task sets the mode on its schema's builder.
     */
    @Test
    void aValueThatFailsToConvertStopsTheChangeInsteadOfBecomingNull() throws Exception {
        ValueConverterProvider failing = new ValueConverterProvider() {
            @Override
            public SchemaBuilder schemaBuilder(Column column) {
                return SchemaBuilder.string().optional();
            }

            @Override
            public ValueConverter converter(Column column, org.apache.kafka.connect.data.Field field) {
                return column.name().equals("id") ? v -> v : v -> {
                    throw new IllegalArgumentException("unreadable value");
                };
            }
        };
        TableSchemaBuilder builder = new TableSchemaBuilder(failing, SchemaNameAdjuster.NO_OP,
                new CustomConverterRegistry(null), SchemaBuilder.struct().optional().build(), Column::name, false);
        Table table = Table.editor().tableId(new TableId(null, "public", "items"))
                .addColumn(Column.editor().name("id").type("text").jdbcType(Types.VARCHAR).position(1).create())
                .addColumn(Column.editor().name("odd").type("text").jdbcType(Types.VARCHAR).position(2).create())
                .setPrimaryKeyNames("id").create();
        java.util.Properties naming = new java.util.Properties();
        naming.setProperty("topic.prefix", "test");
        TableSchema schema = builder.create(new CachedTopicNaming(naming), table, null, null, null);
        Object[] row = {"1", "the value"};
        assertThat(schema.valueFromColumnData(row).get("odd")).as("Debezium's own behaviour: the value is lost").isNull();

        PostgresConnectorTask task = new LeanPostgresConnector.Lean();
        Field unsafeField = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
        unsafeField.setAccessible(true);
        // a PostgresSchema without its constructor (which needs a running task's context), holding the builder
        Object postgresSchema = ((sun.misc.Unsafe) unsafeField.get(null)).allocateInstance(PostgresSchema.class);
        LeanPostgresConnector.field(RelationalDatabaseSchema.class, "schemaBuilder").set(postgresSchema, builder);
        LeanPostgresConnector.field(PostgresConnectorTask.class, "schema").set(task, postgresSchema);

        LeanPostgresConnector.failOnConversionErrors(task);
        assertThatThrownBy(() -> schema.valueFromColumnData(row)).isInstanceOf(DebeziumException.class)
                .hasMessageContaining("Failed to properly convert data value for 'public.items.odd'");
    }
}
