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
        // Java 17's Double.toString gives these a digit more than the shortest text PostgreSQL prints
        assertThat(SourceTextConverter.geometricText("(4.9E-324,2.82879384806159008E17)")).isEqualTo("(5e-324,2.82879384806159e+17)");
    }

    /** The shortest text that reads back exactly, for doubles across the range (PostgreSQL's float8out). */
    @Test
    void floatTextIsTheShortestTextThatReadsBack() {
        java.util.Random random = new java.util.Random(42);
        for (int i = 0; i < 20_000; i++) {
            double d = Double.longBitsToDouble(random.nextLong());
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                continue;
            }
            String text = DebeziumValues.floatText(d);
            assertThat(Double.parseDouble(text)).as(text).isEqualTo(d);
            String shorter = new java.math.BigDecimal(text).round(new java.math.MathContext(
                    Math.max(1, new java.math.BigDecimal(text).stripTrailingZeros().precision() - 1))).toString();
            assertThat(Double.parseDouble(shorter)).as("no shorter text of " + text + " reads back").isNotEqualTo(d);
        }
        assertThat(DebeziumValues.floatText(0.1 + 0.2)).isEqualTo("0.30000000000000004");
        assertThat(DebeziumValues.floatText(1e23)).isEqualTo("1e+23");
        assertThat(DebeziumValues.floatText(123456789012345.0)).isEqualTo("123456789012345");
        assertThat(DebeziumValues.floatText(1234567890123456.0)).isEqualTo("1.234567890123456e+15");
    }
}
