package io.pgingest.source.logical;

import io.debezium.data.Envelope;
import io.debezium.pipeline.ChangeEventSourceCoordinator;
import io.debezium.pipeline.meters.CommonEventMeter;
import io.debezium.pipeline.metrics.PipelineMetrics;
import io.debezium.pipeline.metrics.StreamingChangeEventSourceMetrics;
import io.debezium.pipeline.source.spi.EventMetadataProvider;
import io.debezium.pipeline.spi.OffsetContext;
import io.debezium.relational.TableId;
import io.debezium.spi.schema.DataCollectionId;
import io.debezium.util.Clock;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

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
}
