package io.pgingest.destination.duckdb;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgingest.destination.TestBatches;
import io.pgingest.event.LogicalType;
import org.junit.jupiter.api.Test;

class DuckDbTypesTest {

    @Test
    void typesOnlyWiden() {
        assertThat(DuckDbTypes.widen("INTEGER", "BIGINT")).as("integer to bigint").isEqualTo("BIGINT");
        assertThat(DuckDbTypes.widen("BIGINT", "INTEGER")).as("never narrow").isEqualTo("BIGINT");
        assertThat(DuckDbTypes.widen("DECIMAL(10,2)", "DECIMAL(12,4)")).isEqualTo("DECIMAL(12,4)");
        assertThat(DuckDbTypes.widen("DECIMAL(10,2)", "INTEGER")).as("integer digits kept").isEqualTo("DECIMAL(12,2)");
        assertThat(DuckDbTypes.widen("DECIMAL(38,0)", "DECIMAL(10,2)")).as("beyond 38 digits").isEqualTo("VARCHAR");
        assertThat(DuckDbTypes.widen("FLOAT", "INTEGER")).isEqualTo("DOUBLE");
        assertThat(DuckDbTypes.widen("DOUBLE", "BIGINT")).as("bigint is not exact in double").isEqualTo("VARCHAR");
        assertThat(DuckDbTypes.widen("TIMESTAMP", "DATE")).as("any other mix").isEqualTo("VARCHAR");
        assertThat(DuckDbTypes.widen("VARCHAR", "INTEGER")).as("varchar is the widest").isEqualTo("VARCHAR");
    }

    @Test
    void decimalsBeyondDuckDbPrecisionAndArraysAreText() {
        assertThat(DuckDbTypes.ddlType(TestBatches.decimal("d", 39, 2))).isEqualTo("VARCHAR");
        assertThat(DuckDbTypes.ddlType(TestBatches.column("d", LogicalType.DECIMAL, "numeric"))).isEqualTo("VARCHAR");
        assertThat(DuckDbTypes.ddlType(TestBatches.column("a", LogicalType.JSON, "text[]"))).isEqualTo("VARCHAR");
        assertThat(DuckDbTypes.ddlType(TestBatches.column("j", LogicalType.JSON, "jsonb"))).isEqualTo("JSON");
    }

    @Test
    void postgresIntervalsBecomeDuckDbParsableText() {
        assertThat(IntervalText.toDuckDb("1 year 2 mons -3 days +04:05:06.5"))
                .isEqualTo("14 months -3 days 14706500000 microseconds");
        assertThat(IntervalText.toDuckDb("-00:00:01")).isEqualTo("0 months 0 days -1000000 microseconds");
    }

    @Test
    void aTimestampBeyondDuckDbsRangeFailsSayingSo() {
        org.assertj.core.api.Assertions.assertThat(DuckDbAppend.micros(java.time.Instant.ofEpochSecond(Math.floorDiv(Long.MAX_VALUE - 1, 1_000_000L), (Math.floorMod(Long.MAX_VALUE - 1, 1_000_000L)) * 1_000L)))
                .as("DuckDB's last timestamp").isEqualTo(Long.MAX_VALUE - 1);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> DuckDbAppend.micros(
                        java.time.LocalDateTime.of(294276, 12, 31, 23, 59, 59).toInstant(java.time.ZoneOffset.UTC)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("beyond DuckDB's range");
    }
}
