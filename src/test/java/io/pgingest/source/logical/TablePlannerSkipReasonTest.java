package io.pgingest.source.logical;

import io.pgingest.catalog.TableInfo;
import io.pgingest.event.Column;
import io.pgingest.event.SourceTable;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Why a table cannot be streamed, as {@link TablePlanner#skipReason} tells it. */
class TablePlannerSkipReasonTest {

    private static TableInfo table(boolean primaryKey) {
        return new TableInfo(new SourceTable("db", "public", "t"), 1L, false, false,
                List.of(new Column("id", "integer", null, -1, -1, false)), primaryKey ? List.of("id") : List.of(), primaryKey, 0);
    }

    @Test
    void aKeyedTableWithReplicaIdentityNothingIsSkippedForThatReasonNotForAMissingKey() {
        assertThat(TablePlanner.skipReason(table(true), 'n')).contains("REPLICA IDENTITY is NOTHING")
                .doesNotContain("no primary key");
        assertThat(TablePlanner.skipReason(table(true), 'd')).isNull();
    }

    @Test
    void aDeferrablePrimaryKeyIdentifiesNothingUnderReplicaIdentityDefault() {
        TableInfo deferrable = new TableInfo(new SourceTable("db", "public", "t"), 1L, false, false,
                List.of(new Column("id", "integer", null, -1, -1, false)), List.of("id"), true, 0, true);
        assertThat(TablePlanner.skipReason(deferrable, 'd')).contains("primary key is DEFERRABLE")
                .contains("ALTER TABLE public.t REPLICA IDENTITY FULL");
        assertThat(TablePlanner.skipReason(deferrable, 'f')).isNull();
    }

    @Test
    void aNameThatStartsOrEndsWithADoubleQuoteIsSkipped() {
        for (String name : List.of("Größe \"Tab\"", "\"xy\"", "x y\"", "\"x")) {
            TableInfo t = new TableInfo(new SourceTable("db", "public", name), 1L, false, false,
                    List.of(new Column("id", "integer", null, -1, -1, false)), List.of("id"), true, 0);
            assertThat(TablePlanner.skipReason(t, 'd')).as(name).contains("starts or ends with a double quote");
        }
        TableInfo inside = new TableInfo(new SourceTable("db", "public", "q\"t"), 1L, false, false,
                List.of(new Column("id", "integer", null, -1, -1, false)), List.of("id"), true, 0);
        assertThat(TablePlanner.skipReason(inside, 'd')).as("a quote inside the name streams").isNull();
    }

    @Test
    void aTableWithoutKeyNeedsReplicaIdentityFullOrAnIndex() {
        assertThat(TablePlanner.skipReason(table(false), 'd')).contains("no primary key");
        assertThat(TablePlanner.skipReason(table(false), 'f')).isNull();
    }
}
