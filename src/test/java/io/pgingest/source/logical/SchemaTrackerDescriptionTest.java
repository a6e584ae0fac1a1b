package io.pgingest.source.logical;

import io.pgingest.catalog.TableInfo;
import io.pgingest.event.Column;
import io.pgingest.event.SourceTable;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The description {@link SchemaTracker} keeps of a streamed table, read back as it was written. */
class SchemaTrackerDescriptionTest {

    @Test
    void aDescriptionIsReadBackWholeWhateverTheNamesHold() {
        // names may hold the separators of the older form, colons, digits, quotes and line breaks
        TableInfo info = new TableInfo(new SourceTable("shop", "sales:2024", "order\u001flines\n\"x\""), 16_384L, true, false,
                List.of(new Column("id", "bigint", null, -1, -1, false),
                        new Column("12:ab", "numeric(10,2)", null, -1, -1, true),
                        new Column("", "character varying(20)[]", null, -1, -1, true)),
                List.of("id", "12:ab"), true, 0);
        String kept = SchemaTracker.describe(info);
        assertThat(kept).startsWith("table:");
        assertThat(SchemaTracker.parse("shop", kept)).isEqualTo(info);
    }

    @Test
    void aTableWithoutKeyKeepsAnEmptyKey() {
        TableInfo info = new TableInfo(new SourceTable("db", "public", "log"), 7L, false, false,
                List.of(new Column("line", "text", null, -1, -1, true)), List.of(), false, 0);
        assertThat(SchemaTracker.parse("db", SchemaTracker.describe(info))).isEqualTo(info);
        assertThat(LogicalTable.of(SchemaTracker.parse("db", SchemaTracker.describe(info))).writeMode())
                .isEqualTo(io.pgingest.event.WriteMode.APPEND);
    }
}
