package io.pgingest.mapping;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

class IntervalTextTest {

    /** Expected texts are what PostgreSQL 15 prints with IntervalStyle = postgres. */
    @ParameterizedTest(name = "{0} {1} {2} -> {3}")
    @CsvSource(delimiter = '|', textBlock = """
            0   | 0  | 0              | 00:00:00
            14  | 3  | 14706789000    | 1 year 2 mons 3 days 04:05:06.789
            -10 | -3 | 14706789000    | -10 mons -3 days +04:05:06.789
            0   | 0  | -360001500000  | -100:00:01.5
            12  | 0  | 0              | 1 year
            1   | 1  | 0              | 1 mon 1 day
            -1  | 2  | -1             | -1 mons +2 days -00:00:00.000001
            0   | -1 | 1000000        | -1 days +00:00:01
            25  | 0  | 60000000       | 2 years 1 mon 00:01:00
            """)
    void formatsLikePostgresIntervalStyle(int months, int days, long micros, String expected) {
        assertThat(IntervalText.format(months, days, micros)).isEqualTo(expected);
        assertThat(IntervalText.fromParts(months + " " + days + " " + micros)).isEqualTo(expected);
    }
}
