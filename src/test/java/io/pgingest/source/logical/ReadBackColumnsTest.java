package io.pgingest.source.logical;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The text a streamed value is sent back to the source as, to compute generated columns (PostgreSQL's input forms). */
class ReadBackColumnsTest {

    @Test
    void datesAndTimestampsInPostgresInputForm() {
        assertThat(ReadBackColumns.asText(LocalDate.of(2026, 1, 2))).isEqualTo("2026-01-02");
        assertThat(ReadBackColumns.asText(LocalDate.of(0, 3, 15))).as("ISO year 0 is 1 BC").isEqualTo("0001-03-15 BC");
        assertThat(ReadBackColumns.asText(LocalDate.of(-43, 3, 15))).isEqualTo("0044-03-15 BC");
        assertThat(ReadBackColumns.asText(LocalDate.of(12345, 6, 7))).as("no sign past 9999").isEqualTo("12345-06-07");
        assertThat(ReadBackColumns.asText(LocalDate.MAX)).isEqualTo("infinity");
        assertThat(ReadBackColumns.asText(LocalDate.MIN)).isEqualTo("-infinity");
        assertThat(ReadBackColumns.asText(LocalDateTime.of(-99, 1, 1, 10, 0, 0, 123_000)))
                .isEqualTo("0100-01-01 10:00:00.000123 BC");
        assertThat(ReadBackColumns.asText(LocalDateTime.MAX)).isEqualTo("infinity");
        assertThat(ReadBackColumns.asText(OffsetDateTime.of(2026, 1, 2, 3, 4, 5, 6_000, ZoneOffset.ofHours(1))))
                .as("at UTC").isEqualTo("2026-01-02 02:04:05.000006+00");
        assertThat(ReadBackColumns.asText(OffsetDateTime.MIN)).isEqualTo("-infinity");
    }

    @Test
    void bytesNumbersAndTheRest() {
        assertThat(ReadBackColumns.asText(new byte[] {1, (byte) 0xff})).isEqualTo("\\x01ff");
        assertThat(ReadBackColumns.asText(new byte[0])).isEqualTo("\\x");
        assertThat(ReadBackColumns.asText(new BigDecimal("1E+3"))).as("no exponent").isEqualTo("1000");
        assertThat(ReadBackColumns.asText(Double.NaN)).isEqualTo("NaN");
        assertThat(ReadBackColumns.asText(Double.NEGATIVE_INFINITY)).isEqualTo("-Infinity");
        UUID u = UUID.randomUUID();
        assertThat(ReadBackColumns.asText(u)).isEqualTo(u.toString());
        assertThat(ReadBackColumns.asText(null)).isNull();
    }
}
