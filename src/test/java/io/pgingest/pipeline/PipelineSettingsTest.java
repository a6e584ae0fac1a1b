package io.pgingest.pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PipelineSettingsTest {

    private static Map<String, String> minimal() {
        Map<String, String> m = new HashMap<>();
        m.put("mode", "table");
        m.put("host", "db.example.com");
        m.put("database", "shop");
        m.put("user", "reader");
        m.put("password", "s3cret");
        return m;
    }

    @Test
    void defaultsFollowTheSpec() {
        PipelineSettings s = PipelineSettings.parse("shop", minimal());
        assertThat(s.source().port()).isEqualTo(5432);
        assertThat(s.frequency()).as("table pipelines default to 6 h").isEqualTo(Duration.ofHours(6));
        assertThat(s.schemas()).containsExactly("public");
        assertThat(s.objects()).as("every table of the schemas by default").hasSize(1);
        assertThat(s.objects().get(0).name().isWildcard()).isTrue();
        assertThat(s.objects().get(0).mode()).isEqualTo(QueryMode.FULL_LOAD);
        assertThat(s.includeNewTables()).isTrue();
        assertThat(s.mergeTables()).isTrue();
        assertThat(s.fullLoadLimit()).isEqualTo(25_000_000);
    }

    /** Issue 3: the WAL retention warning and the heartbeat query. */
    @Test
    void walRetentionWarningDefaultsTo1024MbAndHeartbeatQueryToNone() {
        PipelineSettings s = PipelineSettings.parse("shop", minimal());
        assertThat(s.walRetentionWarningMb()).isEqualTo(1024);
        assertThat(s.heartbeatQuery()).as("no heartbeat query unless set").isEmpty();
        Map<String, String> m = minimal();
        m.put("walRetentionWarningMb", "0");
        assertThatThrownBy(() -> PipelineSettings.parse("shop", m)).hasMessageContaining("walRetentionWarningMb")
                .hasMessageContaining("an integer from 1 to 100000000");
        m.put("walRetentionWarningMb", "50");
        m.put("heartbeatQuery", " SELECT 1 ");
        assertThat(PipelineSettings.parse("shop", m).walRetentionWarningMb()).isEqualTo(50);
        assertThat(PipelineSettings.parse("shop", m).heartbeatQuery()).isEqualTo("SELECT 1");
    }

    @Test
    void passwordFileIsReadWithoutItsLineBreakAndExcludesPassword(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        java.nio.file.Path secret = java.nio.file.Files.writeString(tmp.resolve("pw"), "fr0m-a-file\n");
        Map<String, String> m = minimal();
        m.remove("password");
        m.put("passwordFile", secret.toString());
        assertThat(PipelineSettings.parse("shop", m).source().password()).isEqualTo("fr0m-a-file");
        m.put("password", "s3cret");
        assertThatThrownBy(() -> PipelineSettings.parse("shop", m)).hasMessageContaining("passwordFile")
                .hasMessageContaining("give one");
        m.remove("password");
        m.put("passwordFile", tmp.resolve("missing").toString());
        assertThatThrownBy(() -> PipelineSettings.parse("shop", m)).hasMessageContaining("passwordFile")
                .hasMessageContaining("cannot read");
    }

    @Test
    void passwordNeverAppearsInToString() {
        PipelineSettings s = PipelineSettings.parse("shop", minimal());
        assertThat(s.toString()).doesNotContain("s3cret");
        assertThat(s.source().toString()).doesNotContain("s3cret");
    }

    @Test
    void objectsListParsesModesQuotedNamesAndWildcards() {
        Map<String, String> m = minimal();
        m.put("schemas", "public, \"Sales\"");
        m.put("objects", """
                public.orders: delta-timestamp(updated_at, delay=5000)
                "Sales"."Order Items": cdc("Updated At", id)
                events: append-only(id)
                # a comment
                *: full-load
                """);
        PipelineSettings s = PipelineSettings.parse("shop", m);
        assertThat(s.objects()).hasSize(4);
        assertThat(s.objects().get(0).mode()).isEqualTo(new QueryMode(QueryMode.Kind.DELTA_TIMESTAMP, "updated_at", null, 5000));
        assertThat(s.objects().get(1).name()).isEqualTo(new ObjectName("Sales", "Order Items"));
        assertThat(s.objects().get(1).mode()).isEqualTo(new QueryMode(QueryMode.Kind.CDC, "Updated At", "id", 0));
        assertThat(s.selectionFor("public", "events").orElseThrow().mode().kind()).isEqualTo(QueryMode.Kind.APPEND_ONLY);
        assertThat(s.selectionFor("public", "other").orElseThrow().name().isWildcard())
                .as("tables not named fall to the wildcard").isTrue();
    }

    /** Issue 3: tables without key appended (the default) or matched on their values. */
    @Test
    void keylessTablesIsAppendOrMatchAndMatchOnlyForLogicalReplication() {
        Map<String, String> m = minimal();
        m.put("mode", "logical-replication");
        assertThat(PipelineSettings.parse("shop", m).matchKeylessTables()).as("append by default").isFalse();
        m.put("keylessTables", "Match");
        assertThat(PipelineSettings.parse("shop", m).matchKeylessTables()).isTrue();
        m.put("keylessTables", "merge");
        assertThatThrownBy(() -> PipelineSettings.parse("shop", m)).isInstanceOf(PipelineConfigException.class)
                .hasMessageContaining("key 'keylessTables'").hasMessageContaining("use append").hasMessageContaining("or match");
        m.put("keylessTables", "match");
        m.put("mode", "table");
        assertThatThrownBy(() -> PipelineSettings.parse("shop", m)).isInstanceOf(PipelineConfigException.class)
                .hasMessageContaining("match applies to mode logical-replication only");
    }

    @Test
    void unknownModeIsRejectedWithTheAllowedValues() {
        Map<String, String> m = minimal();
        m.put("mode", "snapshot");
        assertThatThrownBy(() -> PipelineSettings.parse("shop", m))
                .isInstanceOf(PipelineConfigException.class)
                .hasMessageContaining("pipeline 'shop', key 'mode'")
                .hasMessageContaining("logical-replication, table, custom-sql, xmin");
    }

    @Test
    void unknownQueryModeIsRejectedNamingTheLine() {
        Map<String, String> m = minimal();
        m.put("objects", "public.orders: incremental(id)");
        assertThatThrownBy(() -> PipelineSettings.parse("shop", m))
                .isInstanceOf(PipelineConfigException.class)
                .hasMessageContaining("key 'objects'")
                .hasMessageContaining("public.orders: incremental(id)")
                .hasMessageContaining("unknown query mode");
    }

    @Test
    void xminIsNotATableQueryMode() {
        Map<String, String> m = minimal();
        m.put("objects", "public.orders: xmin");
        assertThatThrownBy(() -> PipelineSettings.parse("shop", m)).hasMessageContaining("XMIN is not a query mode");
    }

    @Test
    void queryModeWithoutItsColumnIsRejected() {
        Map<String, String> m = minimal();
        m.put("objects", "public.orders: delta-timestamp");
        assertThatThrownBy(() -> PipelineSettings.parse("shop", m)).hasMessageContaining("needs 1 column name");
    }

    @ParameterizedTest
    @ValueSource(strings = {"15m", "1.5", "1.5h", "25h", "0", "45m", "daily", "-1"})
    void frequencyOutOfBoundsOrNotWholeHoursIsRejectedStatingTheBounds(String value) {
        Map<String, String> m = minimal();
        m.put("frequency", value);
        assertThatThrownBy(() -> PipelineSettings.parse("shop", m))
                .isInstanceOf(PipelineConfigException.class)
                .hasMessageContaining("key 'frequency'")
                .hasMessageContaining("30m, or an integer number of hours from 1h to 24h");
    }

    @Test
    void frequencyAcceptsMinimumAndWholeHours() {
        for (var e : Map.of("30m", Duration.ofMinutes(30), "1", Duration.ofHours(1), "12h", Duration.ofHours(12),
                "24h", Duration.ofHours(24)).entrySet()) {
            Map<String, String> m = minimal();
            m.put("frequency", e.getKey());
            assertThat(PipelineSettings.parse("shop", m).frequency()).as(e.getKey()).isEqualTo(e.getValue());
        }
    }

    @Test
    void aLogBasedPipelineStreamsUnlessAFrequencyIsSet() {
        Map<String, String> m = minimal();
        m.put("mode", "logical-replication");
        PipelineSettings streaming = PipelineSettings.parse("shop", m);
        assertThat(streaming.streams()).isTrue();
        assertThat(streaming.frequency()).isEqualTo(PipelineSettings.STREAMING);
        for (var e : Map.of("30m", Duration.ofMinutes(30), "1h", Duration.ofHours(1), "12", Duration.ofHours(12)).entrySet()) {
            m.put("frequency", e.getKey());
            PipelineSettings scheduled = PipelineSettings.parse("shop", m);
            assertThat(scheduled.streams()).as(e.getKey()).isFalse();
            assertThat(scheduled.frequency()).as(e.getKey()).isEqualTo(e.getValue());
        }
        assertThat(PipelineSettings.parse("shop", minimal()).streams()).as("table mode").isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"13h", "24h", "15m", "1.5h", "0"})
    void aLogBasedPipelinesFrequencyIsAtMost12Hours(String value) {
        Map<String, String> m = minimal();
        m.put("mode", "logical-replication");
        m.put("frequency", value);
        assertThatThrownBy(() -> PipelineSettings.parse("shop", m))
                .isInstanceOf(PipelineConfigException.class)
                .hasMessageContaining("key 'frequency'")
                .hasMessageContaining("30m, or an integer number of hours from 1h to 12h");
    }

    @Test
    void nameLongerThan255CharactersIsRejected() {
        String name = "p".repeat(256);
        assertThatThrownBy(() -> PipelineSettings.parse(name, minimal()))
                .hasMessageContaining("256 characters; at most 255");
        assertThat(PipelineSettings.parse("p".repeat(255), minimal()).name()).hasSize(255);
    }

    @Test
    void missingRequiredSettingIsNamed() {
        Map<String, String> m = minimal();
        m.remove("database");
        assertThatThrownBy(() -> PipelineSettings.parse("shop", m)).hasMessage("pipeline 'shop', key 'database': missing; this setting is required");
    }

    @Test
    void unknownSettingIsRejected() {
        Map<String, String> m = minimal();
        m.put("frequncy", "6h");
        assertThatThrownBy(() -> PipelineSettings.parse("shop", m)).hasMessageContaining("key 'frequncy': unknown setting");
    }

    @Test
    void objectOutsideTheSelectedSchemasIsRejected() {
        Map<String, String> m = minimal();
        m.put("objects", "sales.orders: full-load");
        assertThatThrownBy(() -> PipelineSettings.parse("shop", m)).hasMessageContaining("not among schemas [public]");
    }

    @Test
    void locationIsPrependedOnce() {
        PipelineConfigException e = new PipelineConfigException("shop", "mode", "bad");
        assertThat(e.withLocation("routes/shop.camel.yaml:1").withLocation("other").getMessage())
                .isEqualTo("routes/shop.camel.yaml:1: pipeline 'shop', key 'mode': bad");
    }

    @Test
    void queryModeTextRoundTrips() {
        for (String text : List.of("full-load", "delta-timestamp(updated_at)", "delta-timestamp(\"Updated At\", delay=100)",
                "append-only(id)", "cdc(ts, id)")) {
            assertThat(QueryMode.parse(QueryMode.parse(text).toString())).as(text).isEqualTo(QueryMode.parse(text));
        }
    }

    @Test
    void unquotedNamesFoldToLowerCaseLikePostgres() {
        assertThat(ObjectName.parse("Public.Orders")).isEqualTo(new ObjectName("public", "orders"));
        assertThat(ObjectName.parse("\"MixedCase\".\"Tbl.With.Dots\"")).isEqualTo(new ObjectName("MixedCase", "Tbl.With.Dots"));
        assertThat(ObjectName.parse("orders")).isEqualTo(new ObjectName("public", "orders"));
        assertThatThrownBy(() -> ObjectName.parse("a.b.c")).hasMessageContaining("not a table name");
    }
}
