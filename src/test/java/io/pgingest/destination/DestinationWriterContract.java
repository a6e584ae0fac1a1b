package io.pgingest.destination;

import static io.pgingest.destination.TestBatches.append;
import static io.pgingest.destination.TestBatches.batch;
import static io.pgingest.destination.TestBatches.column;
import static io.pgingest.destination.TestBatches.row;
import static io.pgingest.destination.TestBatches.upsert;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgingest.event.Column;
import io.pgingest.event.LogicalType;
import io.pgingest.event.Metadata;
import io.pgingest.event.WriteMode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Behaviour every {@link DestinationWriter} must show, run against a real database by each
 * dialect's integration test.
 */
public abstract class DestinationWriterContract {

    protected static final List<Column> ACCOUNTS = List.of(column("id", LogicalType.INT32),
            column("name", LogicalType.TEXT), column("balance", LogicalType.INT64));
    /** {@link #ACCOUNTS} and one more column, for batches of more and of fewer columns than the table has. */
    protected static final List<Column> WITH_EMAIL = List.of(ACCOUNTS.get(0), ACCOUNTS.get(1), ACCOUNTS.get(2),
            column("email", LogicalType.TEXT));

    protected abstract DestinationWriter writer();

    /** Runs a query on the destination (tables unqualified); values as JDBC getObject returns them. */
    protected abstract List<List<Object>> query(String sql) throws Exception;

    /** The destination type of a column, lower case, as the database reports it. */
    protected abstract String typeOf(String table, String column) throws Exception;

    protected List<Object> single(String sql) throws Exception {
        List<List<Object>> rows = query(sql);
        assertThat(rows).as("one row from " + sql).hasSize(1);
        return rows.get(0);
    }

    @Test
    void createsTableAndInsertsRowsWithMetadata() throws Exception {
        writer().write(upsert("accounts", ACCOUNTS, List.of("id"), 7, row(1, "ann", 10L), row(2, "bob", null)));

        assertThat(query("SELECT id, name, balance, _pgingest_position FROM accounts ORDER BY id"))
                .as("both rows written with the batch position")
                .containsExactly(List.of(1, "ann", 10L, 7L), java.util.Arrays.asList(2, "bob", null, 7L));
        List<Object> meta = single("SELECT count(*), count(_pgingest_ingested_at), count(_pgingest_loaded_at) FROM accounts");
        assertThat(meta).as("metadata columns filled in every row").containsExactly(2L, 2L, 2L);
    }

    @Test
    void upsertUpdatesExistingKeyAndLastRowPerKeyInBatchWins() throws Exception {
        writer().write(upsert("up", ACCOUNTS, List.of("id"), 1, row(1, "ann", 10L), row(2, "bob", 20L)));
        writer().write(upsert("up", ACCOUNTS, List.of("id"), 2,
                row(1, "ann-1", 11L), row(3, "cid", 30L), row(1, "ann-2", 12L)));

        assertThat(query("SELECT id, name, balance, _pgingest_position FROM up ORDER BY id"))
                .as("key 1 updated to its last row of the batch, key 2 untouched, key 3 inserted")
                .containsExactly(List.of(1, "ann-2", 12L, 2L), List.of(2, "bob", 20L, 1L), List.of(3, "cid", 30L, 2L));
    }

    @Test
    void stalePositionDoesNotOverwriteNewerRow() throws Exception {
        writer().write(upsert("stale", ACCOUNTS, List.of("id"), 100, row(1, "new", 2L)));
        writer().write(upsert("stale", ACCOUNTS, List.of("id"), 50, row(1, "old", 1L), row(2, "other", 5L)));

        assertThat(query("SELECT id, name, _pgingest_position FROM stale ORDER BY id"))
                .as("a replayed older change must not overwrite the newer row, but new keys are inserted")
                .containsExactly(List.of(1, "new", 100L), List.of(2, "other", 50L));
    }

    @Test
    void newColumnIsAddedToExistingTable() throws Exception {
        writer().write(upsert("grow", ACCOUNTS, List.of("id"), 1, row(1, "ann", 10L)));
        writer().write(upsert("grow", WITH_EMAIL, List.of("id"), 2, row(2, "bob", 20L, "bob@example.com")));

        assertThat(query("SELECT id, email FROM grow ORDER BY id"))
                .as("the new column exists, NULL for the old row")
                .containsExactly(java.util.Arrays.asList(1, null), List.of(2, "bob@example.com"));
    }

    @Test
    void upsertOfSomeColumnsKeepsTheOthersAndOfAllColumnsReplacesTheRow() throws Exception {
        writer().write(upsert("partial_cols", WITH_EMAIL, List.of("id"), 1, row(1, "ann", 10L, "ann@example.com"),
                row(2, "bob", 20L, "bob@example.com")));
        writer().write(upsert("partial_cols", ACCOUNTS, List.of("id"), 2, row(1, "ann v2", 11L), row(3, "cid", 30L)));

        assertThat(query("SELECT id, name, balance, email, _pgingest_position FROM partial_cols ORDER BY id"))
                .as("a batch without the email column keeps the email of the rows it updates")
                .containsExactly(List.of(1, "ann v2", 11L, "ann@example.com", 2L), List.of(2, "bob", 20L, "bob@example.com", 1L),
                        java.util.Arrays.asList(3, "cid", 30L, null, 2L));

        writer().write(upsert("partial_cols", WITH_EMAIL, List.of("id"), 3, row(2, "bob v2", 21L, null), row(1, "ann v3", 12L, "a@example.com")));
        writer().write(upsert("partial_cols", WITH_EMAIL, List.of("id"), 1, row(3, "stale", 0L, "stale@example.com")));

        assertThat(query("SELECT id, name, balance, email, _pgingest_position FROM partial_cols ORDER BY id"))
                .as("a batch of every column replaces its keys' rows (a NULL too), once each; a stale one changes nothing")
                .containsExactly(List.of(1, "ann v3", 12L, "a@example.com", 3L), java.util.Arrays.asList(2, "bob v2", 21L, null, 3L),
                        java.util.Arrays.asList(3, "cid", 30L, null, 2L));
    }

    @Test
    void upsertOfSomeColumnsLeavesNewerRowsAndCollapsesRepeatedKeys() throws Exception {
        writer().write(upsert("partial_stale", WITH_EMAIL, List.of("id"), 5, row(1, "ann", 10L, "ann@example.com"),
                row(2, "bob", 20L, "bob@example.com")));
        writer().write(upsert("partial_stale", ACCOUNTS, List.of("id"), 4, row(1, "stale", 0L), row(3, "cid", 30L)));
        writer().write(upsert("partial_stale", ACCOUNTS, List.of("id"), 6, row(2, "bob v2", 21L), row(4, "dan", 40L),
                row(2, "bob v3", 22L)));

        assertThat(query("SELECT id, name, balance, email, _pgingest_position FROM partial_stale ORDER BY id"))
                .as("a stale batch of some columns leaves the newer row and inserts its new key; a later one takes the"
                        + " last row of a repeated key and keeps the email, once per key")
                .containsExactly(List.of(1, "ann", 10L, "ann@example.com", 5L),
                        List.of(2, "bob v3", 22L, "bob@example.com", 6L),
                        java.util.Arrays.asList(3, "cid", 30L, null, 4L),
                        java.util.Arrays.asList(4, "dan", 40L, null, 6L));
    }
    /** PostgreSQL's 24:00:00 of a time with time zone reaches the readers as the day's last instant at its offset. */
    @Test
    void timeWithTimeZoneKeepsItsOffsetAtTheEndOfTheDay() throws Exception {
        List<Column> columns = List.of(column("id", LogicalType.INT32), column("t", LogicalType.TIMETZ));
        writer().write(upsert("timetzs", columns, List.of("id"), 1,
                row(1, java.time.OffsetTime.parse("10:11:12.5+05:30")),
                row(2, java.time.OffsetTime.of(java.time.LocalTime.MAX, java.time.ZoneOffset.ofHours(-3)))));

        List<List<Object>> rows = query("SELECT id, CAST(t AS VARCHAR) FROM timetzs ORDER BY id");
        assertThat(rows).as("both rows written").hasSize(2);
        assertThat(rows.get(0).get(1).toString()).as("an ordinary value").isEqualTo("10:11:12.5+05:30");
        assertThat(rows.get(1).get(1).toString()).as("the day's last instant, offset kept")
                .matches("(24:00:00|23:59:59\\.999999)-03(:00)?");
    }

    @Test
    void compositeKeyUpsertsByAllKeyColumns() throws Exception {
        List<Column> columns = List.of(column("a", LogicalType.INT32), column("b", LogicalType.TEXT),
                column("v", LogicalType.TEXT));
        writer().write(upsert("comp", columns, List.of("a", "b"), 1, row(1, "x", "first"), row(1, "y", "first")));
        writer().write(upsert("comp", columns, List.of("a", "b"), 2, row(1, "y", "second")));

        assertThat(query("SELECT a, b, v FROM comp ORDER BY a, b"))
                .as("only the row matching both key columns is updated")
                .containsExactly(List.of(1, "x", "first"), List.of(1, "y", "second"));
    }

    @Test
    void mergeTablesMakeDatabasePartOfTheKey() throws Exception {
        Map<String, Object> db1 = Map.of(Metadata.DATABASE, "db1");
        Map<String, Object> db2 = Map.of(Metadata.DATABASE, "db2");
        writer().write(batch("merged", WriteMode.UPSERT, ACCOUNTS, List.of("id"), 1, false, db1, row(1, "from-db1", 1L)));
        writer().write(batch("merged", WriteMode.UPSERT, ACCOUNTS, List.of("id"), 2, false, db2, row(1, "from-db2", 2L)));

        assertThat(query("SELECT _pgingest_database, id, name FROM merged ORDER BY _pgingest_database"))
                .as("the same key from two databases gives two rows")
                .containsExactly(List.of("db1", 1, "from-db1"), List.of("db2", 1, "from-db2"));
    }

    @Test
    void appendGeneratesIdsForEveryRow() throws Exception {
        List<Column> columns = List.of(column("msg", LogicalType.TEXT));
        writer().write(append("log", columns, 1, row("a"), row("a"), row("b")));
        writer().write(append("log", columns, 2, row("c")));

        List<List<Object>> rows = query("SELECT _pgingest_id, msg FROM log ORDER BY _pgingest_id");
        assertThat(rows).as("duplicates are kept in append mode").extracting(r -> r.get(1))
                .containsExactly("a", "a", "b", "c");
        assertThat(rows).as("ids are distinct and not null").extracting(r -> r.get(0)).doesNotContainNull()
                .doesNotHaveDuplicates();
    }

    /**
     * Streamed rows of a table without key carry their change's number: a batch read again after a restart (here its
     * first two changes, written before, and a third one) appends only the changes the table does not hold, also when
     * their values repeat, and per source database under Merge Tables.
     */
    @Test
    void appendedChangesReadAgainAreNotAppendedTwice() throws Exception {
        List<Column> columns = List.of(column("msg", LogicalType.TEXT), Metadata.CHANGE_COLUMN);
        long lsn = 0x3C15D540L;
        Object[] first = row("a", Metadata.change(lsn, 0));
        Object[] second = row("a", Metadata.change(lsn, 1)); // the same values, one COPY page later in the same WAL record
        Object[] third = row("b", Metadata.change(lsn + 200, 0));
        writer().write(append("changelog", columns, lsn, first, second));
        writer().write(append("changelog", columns, lsn + 200, first, second, third));
        writer().write(append("changelog", columns, lsn + 200, row("unnumbered", null), row("unnumbered", null)));

        assertThat(query("SELECT msg, _pgingest_change FROM changelog ORDER BY _pgingest_id")).as("each change once")
                .containsExactly(List.of("a", Metadata.change(lsn, 0)), List.of("a", Metadata.change(lsn, 1)),
                        List.of("b", Metadata.change(lsn + 200, 0)), java.util.Arrays.asList("unnumbered", null),
                        java.util.Arrays.asList("unnumbered", null));

        writer().write(batch("mchangelog", WriteMode.APPEND, columns, List.of(), lsn, false, Map.of(Metadata.DATABASE, "db1"), first));
        writer().write(batch("mchangelog", WriteMode.APPEND, columns, List.of(), lsn, false, Map.of(Metadata.DATABASE, "db2"), first));
        writer().write(batch("mchangelog", WriteMode.APPEND, columns, List.of(), lsn, false, Map.of(Metadata.DATABASE, "db1"), first));
        assertThat(query("SELECT _pgingest_database, msg FROM mchangelog ORDER BY _pgingest_database"))
                .as("the same change number from another database is another change")
                .containsExactly(List.of("db1", "a"), List.of("db2", "a"));
    }

    @Test
    void replaceRunDeletesEarlierRunsOnlyAtEndOfRun() throws Exception {
        List<Column> columns = List.of(column("v", LogicalType.TEXT));
        writer().write(batch("rr", WriteMode.REPLACE_RUN, columns, List.of(), 1, true, Map.of(), row("run1")));
        writer().write(batch("rr", WriteMode.REPLACE_RUN, columns, List.of(), 2, false, Map.of(), row("run2-a")));

        assertThat(query("SELECT v FROM rr ORDER BY v")).as("the old copy stays until the new run ends")
                .containsExactly(List.of("run1"), List.of("run2-a"));

        writer().write(batch("rr", WriteMode.REPLACE_RUN, columns, List.of(), 2, true, Map.of(), row("run2-b")));
        assertThat(query("SELECT v FROM rr ORDER BY v")).as("at the end of run 2 only run 2 remains")
                .containsExactly(List.of("run2-a"), List.of("run2-b"));
    }

    @Test
    void failingBatchLeavesTableUnchanged() throws Exception {
        writer().write(upsert("atomic", ACCOUNTS, List.of("id"), 1, row(1, "ann", 10L)));
        List<Column> wider = new java.util.ArrayList<>(ACCOUNTS);
        wider.add(column("extra", LogicalType.INT32));

        assertThatThrownBy(() -> writer().write(upsert("atomic", wider, List.of("id"), 2,
                row(1, "changed", 11L, 1), row(2, "new", 20L, "not a number"))))
                .as("a value of the wrong class fails the batch");

        assertThat(query("SELECT id, name, balance FROM atomic")).as("rows unchanged after the failed batch")
                .containsExactly(List.of(1, "ann", 10L));
        assertThat(typeOf("atomic", "extra")).as("the column added by the failed batch was rolled back").isNull();
        writer().write(upsert("atomic", wider, List.of("id"), 3, row(2, "later", 1L, 5)));
        assertThat(single("SELECT count(*) FROM atomic")).as("the writer still works after a failure").containsExactly(2L);
    }

    @Test
    void emptyBatchCreatesTheTable() throws Exception {
        writer().write(upsert("empty_src", ACCOUNTS, List.of("id"), 1));

        assertThat(single("SELECT count(*) FROM empty_src")).as("an empty source table has an empty destination table")
                .containsExactly(0L);
    }

    @Test
    void truncateSoftDeletesTheRowsWrittenBeforeItsPositionOfItsDatabaseOnly() throws Exception {
        List<Column> columns = new java.util.ArrayList<>(ACCOUNTS);
        columns.add(Metadata.DELETED_COLUMN);
        Map<String, Object> db1 = Map.of(Metadata.DATABASE, "db1");
        Map<String, Object> db2 = Map.of(Metadata.DATABASE, "db2");
        writer().write(batch("tr", WriteMode.UPSERT, columns, List.of("id"), 10, false, db1,
                row(1, "a", 1L, false), row(2, "b", 2L, false), row(3, "c", 3L, true)));
        writer().write(batch("tr", WriteMode.UPSERT, columns, List.of("id"), 11, false, db2, row(1, "other db", 9L, false)));
        writer().write(batch("tr", WriteMode.TRUNCATE, columns, List.of("id"), 20, false, db1));
        writer().write(batch("tr", WriteMode.UPSERT, columns, List.of("id"), 20, false, db1, row(2, "after", 5L, false)));

        assertThat(query("SELECT _pgingest_database, id, name, _pgingest_deleted, _pgingest_position FROM tr"
                + " ORDER BY _pgingest_database, id"))
                .as("db1's rows before the truncate are deleted at its position (keeping their values; an already deleted"
                        + " row keeps its position); a row written after it at the same position stays; db2's rows stay")
                .containsExactly(List.of("db1", 1, "a", true, 20L), List.of("db1", 2, "after", false, 20L),
                        List.of("db1", 3, "c", true, 10L), List.of("db2", 1, "other db", false, 11L));
        writer().write(batch("tr", WriteMode.UPSERT, columns, List.of("id"), 15, false, db1, row(1, "replayed", 1L, false)));
        assertThat(single("SELECT name, _pgingest_deleted FROM tr WHERE id = 1 AND _pgingest_database = 'db1'"))
                .as("a replayed change from before the truncate does not bring the row back").containsExactly("a", true);

        writer().write(batch("never_written", WriteMode.TRUNCATE, columns, List.of("id"), 30, false, Map.of()));
        assertThat(single("SELECT count(*) FROM information_schema.tables WHERE table_name = 'never_written'"))
                .as("a truncate of a table not in the destination creates nothing").containsExactly(0L);
    }
}
