package io.pgingest.source.logical;

import io.pgingest.event.LogicalType;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.junit.jupiter.api.Test;

import java.time.LocalDateTime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Debezium's timestamps in microseconds: its stand-ins for the infinities, and the values it cannot hold. */
class DebeziumValuesTest {

    private static final Schema MICROS = SchemaBuilder.int64().name("io.debezium.time.MicroTimestamp").build();

    @Test
    void microsecondTimestampsAndTheirInfinitiesConvertAndAnOverflowStopsTheChange() {
        assertThat(DebeziumValues.convert(LogicalType.TIMESTAMP, MICROS, 1_500_000L))
                .isEqualTo(LocalDateTime.of(1970, 1, 1, 0, 0, 1, 500_000_000));
        assertThat(DebeziumValues.convert(LogicalType.TIMESTAMP, MICROS, org.postgresql.PGStatement.DATE_NEGATIVE_INFINITY))
                .as("Debezium's -infinity").isEqualTo(LocalDateTime.MIN);
        assertThat(DebeziumValues.convert(LogicalType.TIMESTAMP, MICROS, org.postgresql.PGStatement.DATE_POSITIVE_INFINITY))
                .as("Debezium's +infinity").isEqualTo(LocalDateTime.MAX);
        // 294276-12-31 23:59:59.999999 as Debezium 3.4 sends it: its microseconds since 1970 saturated, then overflowed
        assertThatThrownBy(() -> DebeziumValues.convert(LogicalType.TIMESTAMP, MICROS, Long.MIN_VALUE + 999_999L))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("after the year 294247")
                .hasMessageContaining("mode: table");
    }

    /** Geometric values as pgjdbc's objects print them (Java's doubles), printed again as PostgreSQL prints them. */
    @Test
    void geometricTextTakesPostgresNumbers() {
        assertThat(SourceTextConverter.geometricText("(1.0,1.0),(0.0,0.0)")).isEqualTo("(1,1),(0,0)");
        assertThat(SourceTextConverter.geometricText("<(-0.5,2.5E-7),1.0E20>")).isEqualTo("<(-0.5,2.5e-07),1e+20>");
        assertThat(SourceTextConverter.geometricText("{1.0,-1.0,Infinity}")).isEqualTo("{1,-1,Infinity}");
        assertThat(SourceTextConverter.geometricText("[(0.0,-0.0),(NaN,123456.789)]")).isEqualTo("[(0,-0),(NaN,123456.789)]");
    }
}
