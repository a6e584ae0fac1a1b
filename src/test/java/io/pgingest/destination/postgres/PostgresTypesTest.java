package io.pgingest.destination.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgingest.event.LogicalType;
import java.time.LocalDate;
import org.junit.jupiter.api.Test;

class PostgresTypesTest {

    @Test
    void typesOnlyWiden() {
        assertThat(PostgresTypes.widen("integer", "bigint")).isEqualTo("bigint");
        assertThat(PostgresTypes.widen("numeric(10,2)", "numeric(12,4)")).isEqualTo("numeric(12,4)");
        assertThat(PostgresTypes.widen("numeric", "numeric(12,4)")).as("unconstrained numeric holds all").isEqualTo("numeric");
        assertThat(PostgresTypes.widen("bigint", "numeric")).isEqualTo("numeric");
        assertThat(PostgresTypes.widen("jsonb", "json")).as("json kinds keep the existing type").isEqualTo("jsonb");
        assertThat(PostgresTypes.widen("uuid", "integer")).isEqualTo("text");
        assertThat(PostgresTypes.widen("text", "bytea")).isEqualTo("text");
    }

    @Test
    void copyTextEscapesAndRejectsNul() {
        StringBuilder out = new StringBuilder();
        CopyText.append(out, LogicalType.TEXT, "a\tb\nc\\d\re", "t");
        assertThat(out).hasToString("a\\tb\\nc\\\\d\\re");
        out.setLength(0);
        CopyText.append(out, LogicalType.BYTES, new byte[] {0, (byte) 0xab}, "b");
        assertThat(out).as("bytea hex with the backslash escaped for COPY").hasToString("\\\\x00ab");
        assertThat(CopyText.dateText(LocalDate.of(0, 1, 2))).as("year 0 is 1 BC").isEqualTo("0001-01-02 BC");
        assertThatThrownBy(() -> CopyText.append(new StringBuilder(), LogicalType.TEXT, "x\0", "col"))
                .hasMessageContaining("column col");
    }
}
