package io.pgingest.pipeline;

import io.pgingest.source.table.Cursor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CursorTest {

    @Test
    void valuesWithSeparatorsAndUnicodeRoundTrip() {
        Cursor c = Cursor.of(42, List.of("2024-01-01 10:00:00.123456+00", "a,b;c=d%", "ünïcødé", ""));
        assertThat(Cursor.decode(c.encode())).isEqualTo(c);
    }

    @Test
    void historicalCursorWithCeilingRoundTrips() {
        Cursor c = new Cursor(7, List.of("42"), List.of("2024-01-01 00:00:00+00", "99"));
        assertThat(Cursor.decode(c.encode())).isEqualTo(c);
        assertThat(Cursor.decode(Cursor.of(7, List.of("42")).encode()).ceiling()).isEmpty();
    }

    @Test
    void emptyCursorRoundTrips() {
        Cursor c = Cursor.of(0, List.of());
        assertThat(Cursor.decode(c.encode())).isEqualTo(c);
        assertThat(Cursor.decode(c.encode()).isEmpty()).isTrue();
    }

    @Test
    void garbageIsRejected() {
        assertThatThrownBy(() -> Cursor.decode("12")).isInstanceOf(IllegalArgumentException.class);
    }
}
