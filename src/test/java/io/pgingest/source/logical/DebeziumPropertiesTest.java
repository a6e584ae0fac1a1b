package io.pgingest.source.logical;

import io.pgingest.pipeline.PipelineSettings;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/** Issue 3, heartbeats: the engine properties that keep an idle pipeline's slot moving. */
class DebeziumPropertiesTest {

    static Properties properties(String... extra) {
        Map<String, String> options = new HashMap<>(Map.of("mode", "logical-replication", "host", "db.example.com",
                "database", "shop", "user", "reader"));
        for (int i = 0; i < extra.length; i += 2) {
            options.put(extra[i], extra[i + 1]);
        }
        return DebeziumProperties.of(PipelineSettings.parse("shop", options),
                new StateDatabase("jdbc:h2:file:/tmp/x", "sa", ""), false);
    }

    @Test
    void theDriverConfirmsKeepalivePositionsAndTheEngineResumesFromTheSlotWhenItIsAhead() {
        Properties p = properties();
        assertThat(p.getProperty("lsn.flush.mode")).as("keepalive positions are confirmed when nothing is pending")
                .isEqualTo("connector_and_driver");
        assertThat(p.getProperty("offset.mismatch.strategy")).as("a slot ahead of the offset is not an error")
                .isEqualTo("trust_slot");
        assertThat(p.getProperty("heartbeat.interval.ms")).isEqualTo("10000");
        assertThat(p.getProperty("message.prefix.include.list"))
                .as("of the logical decoding messages only the catch-up markers of --once runs reach the pipeline")
                .isEqualTo("pgingest_catch_up_.*");
        assertThat(p.getProperty("heartbeat.action.query", "")).as("no heartbeat query unless asked for").isEmpty();
    }

    @Test
    void aHeartbeatQueryIsRunByTheEngine() {
        String query = "SELECT pg_logical_emit_message(false, 'pgingest_heartbeat', now()::text)";
        assertThat(properties("heartbeatQuery", query).getProperty("heartbeat.action.query")).isEqualTo(query);
    }

    @Test
    void batchWaitSetsTheEnginePollIntervalWhileStreamingAndAOnceRunWaitsTenMilliseconds() {
        assertThat(properties().getProperty("poll.interval.ms")).as("the default wait").isEqualTo("100");
        assertThat(properties("batchWaitMs", "25").getProperty("poll.interval.ms")).isEqualTo("25");
        Map<String, String> options = new HashMap<>(Map.of("mode", "logical-replication", "host", "db.example.com",
                "database", "shop", "user", "reader", "batchWaitMs", "500"));
        assertThat(DebeziumProperties.of(PipelineSettings.parse("shop", options),
                new StateDatabase("jdbc:h2:file:/tmp/x", "sa", ""), true).getProperty("poll.interval.ms"))
                .as("a backlog drain (--once) waits 10 ms whatever the setting").isEqualTo("10");
    }

    @Test
    void batchWaitOutsideItsBoundsIsRejectedStatingThem() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> properties("batchWaitMs", "2"))
                .hasMessageContaining("batchWaitMs").hasMessageContaining("5").hasMessageContaining("10000");
    }

    /** Tables Debezium cannot read (column names differing only by case) are kept out of its include list by name. */
    @Test
    void theIncludeListLeavesOutTheTablesDebeziumCannotRead() {
        String entry = DebeziumProperties.regex("public") + "\\." + DebeziumProperties.notAnyOf(java.util.List.of("nm", "a|b", "Größe"))
                + ".*";
        java.util.regex.Pattern include = java.util.regex.Pattern.compile(entry);
        assertThat(include.matcher("public.items").matches()).isTrue();
        assertThat(include.matcher("public.nm2").matches()).as("only the exact name is left out").isTrue();
        assertThat(include.matcher("public.nm").matches()).isFalse();
        assertThat(include.matcher("public.a|b").matches()).isFalse();
        assertThat(include.matcher("public.Größe").matches()).isFalse();
        assertThat(include.matcher("public." + DebeziumNames.toDebezium("Größe")).matches()).as("as Debezium garbles it").isFalse();
        assertThat(DebeziumProperties.notAnyOf(java.util.List.of())).isEmpty();
    }
}
