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
    void theStorageAndTheStaleColumnsAreReadBackAndAnOlderDescriptionHasNone() {
        TableInfo info = new TableInfo(new SourceTable("shop", "public", "items"), 16_400L, false, false,
                List.of(new Column("id", "integer", null, -1, -1, false), new Column("name", "text", null, -1, -1, true)),
                List.of("id"), true, 0);
        SchemaTracker.Storage storage = new SchemaTracker.Storage(java.util.Map.of("id", 1, "name", 5), "16401,16410");
        List<SchemaTracker.Stale> stale = List.of(new SchemaTracker.Stale(123_456_789L, List.of("name")),
                new SchemaTracker.Stale(223_456_789L, List.of("name", "id")));
        SchemaTracker.Kept kept = SchemaTracker.parseKept("shop", SchemaTracker.describe(info, storage, stale));
        assertThat(kept.info()).isEqualTo(info);
        assertThat(kept.names()).containsExactly("id", "name");
        assertThat(kept.storage()).isEqualTo(storage);
        assertThat(kept.stale()).isEqualTo(stale);
        SchemaTracker.Kept older = SchemaTracker.parseKept("shop", SchemaTracker.describe(info));
        assertThat(older.info()).isEqualTo(info);
        assertThat(older.storage()).as("kept before the storage was").isNull();
        assertThat(older.stale()).isEmpty();
    }

    @Test
    void aColumnWithANewNumberIsReaddedAndNewFilesAreARewrite() {
        SchemaTracker.Storage before = new SchemaTracker.Storage(java.util.Map.of("id", 1, "a", 2, "b", 3), "100");
        SchemaTracker.Storage after = new SchemaTracker.Storage(java.util.Map.of("id", 1, "a", 4, "b", 3, "c", 5), "100");
        assertThat(before.readdedIn(after)).containsExactly("a");
        assertThat(before.rewrittenIn(after)).isFalse();
        assertThat(before.rewrittenIn(new SchemaTracker.Storage(before.numbers(), "101"))).isTrue();
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
