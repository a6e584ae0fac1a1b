package io.pgingest.source.logical;

import io.pgingest.event.LogicalType;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;

import static org.assertj.core.api.Assertions.assertThat;

/** Issue 3: key values PostgreSQL holds equal are one key when changes are grouped ({@link KeyValues}). */
class KeyValuesTest {

    private static Object c(Object v, LogicalType t) {
        return KeyValues.canonical(v, t);
    }

    @Test
    void numericsEqualInPostgresAreEqualWhateverTheirScale() {
        assertThat(c("19.5", LogicalType.DECIMAL)).isEqualTo(c("19.50", LogicalType.DECIMAL))
                .isEqualTo(c(new BigDecimal("19.500"), LogicalType.DECIMAL));
        assertThat(c("0", LogicalType.DECIMAL)).isEqualTo(c("0.000", LogicalType.DECIMAL)).isEqualTo(c("-0.0", LogicalType.DECIMAL));
        assertThat(c("1E+2", LogicalType.DECIMAL)).isEqualTo(c("100", LogicalType.DECIMAL));
        assertThat(c("19.5", LogicalType.DECIMAL)).isNotEqualTo(c("19.05", LogicalType.DECIMAL));
        assertThat(c("NaN", LogicalType.DECIMAL)).isEqualTo("NaN").isNotEqualTo(c("Infinity", LogicalType.DECIMAL));
    }

    @Test
    void floatZeroAndMinusZeroAreOneKeyAndNaNIsItself() {
        assertThat(c(-0.0d, LogicalType.FLOAT64)).isEqualTo(c(0.0d, LogicalType.FLOAT64));
        assertThat(c(-0.0f, LogicalType.FLOAT32)).isEqualTo(c(0.0f, LogicalType.FLOAT32));
        assertThat(c(Double.NaN, LogicalType.FLOAT64)).isEqualTo(c(Double.NaN, LogicalType.FLOAT64));
        assertThat(c(1.5d, LogicalType.FLOAT64)).isNotEqualTo(c(-1.5d, LogicalType.FLOAT64));
    }

    @Test
    void intervalsCompareByTheirSpanAMonthBeing30DaysAndADay24Hours() {
        LogicalType i = LogicalType.INTERVAL;
        assertThat(c("1 day", i)).isEqualTo(c("24:00:00", i));
        assertThat(c("1 mon", i)).isEqualTo(c("30 days", i)).isEqualTo(c("720:00:00", i));
        assertThat(c("1 year 2 mons 3 days 04:05:06.5", i)).isEqualTo(c("1 year 2 mons 3 days 04:05:06.500", i))
                .isEqualTo(c("423 days 04:05:06.5", i)).isNotEqualTo(c("1 year 2 mons 3 days 04:05:06.6", i));
        assertThat(c("-1 days +02:00:00", i)).isEqualTo(c("-22:00:00", i));
        assertThat(c("1 day -00:00:00.000001", i)).isEqualTo(c("23:59:59.999999", i));
        assertThat(c("00:00:00", i)).isEqualTo(c("0 days", i));
    }

    @Test
    void otherValuesAreThemselves() {
        assertThat(c("19.50", LogicalType.TEXT)).isEqualTo("19.50");
        assertThat(c(7, LogicalType.INT32)).isEqualTo(7);
    }
}
